package media

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"time"
)

// Channel is a side of a stereo recording.
type Channel int

// The channels of a call recording: the customer on the left, the agent on the right.
const (
	Customer Channel = 0
	Agent    Channel = 1
)

// Recorder writes a stereo 16-bit 8000 Hz WAV file while a call runs. Each channel is
// placed by its RTP timestamps (a lost packet becomes silence, not a shift of everything
// after it); the file is streamed to disk and only a few seconds stay in memory.
type Recorder struct {
	mu      sync.Mutex
	f       *os.File
	path    string
	start   time.Time
	base    int64 // absolute sample index of buf[*][0]
	buf     [2][]int16
	written uint32
	chans   [2]chanClock
	closed  bool
	err     error
}

type chanClock struct {
	started bool
	firstTS uint32
	firstAt int64 // sample index of the first packet
	lastTS  uint32
}

// recorderWindow is how far behind the newest sample the recorder keeps audio in memory
// before writing it, to let late packets land in place.
const recorderWindow = SampleRate / 2

// NewRecorder creates the WAV file at path, readable by its owner and group only (a
// recording is a customer's voice).
func NewRecorder(path string) (*Recorder, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	if _, err := f.Write(wavHeader(2, 0)); err != nil {
		f.Close()
		return nil, fmt.Errorf("recorder: %w", err)
	}
	return &Recorder{f: f, path: path, start: time.Now()}, nil
}

// Path returns the file's path.
func (r *Recorder) Path() string { return r.path }

// Write places samples, which came in an RTP packet with timestamp ts, on channel ch.
func (r *Recorder) Write(ch Channel, ts uint32, samples []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.err != nil || (ch != Customer && ch != Agent) {
		return
	}
	c := &r.chans[ch]
	var pos int64
	if !c.started {
		c.started = true
		c.firstTS = ts
		c.firstAt = int64(time.Since(r.start).Seconds() * SampleRate)
		if c.firstAt < r.base {
			c.firstAt = r.base
		}
		pos = c.firstAt
	} else {
		pos = c.firstAt + int64(int32(ts-c.firstTS))
	}
	c.lastTS = ts
	off := pos - r.base
	if off < 0 {
		// Too late: that part of the file is written already.
		return
	}
	b := r.buf[ch]
	if need := int(off) + len(samples); need > len(b) {
		b = append(b, make([]int16, need-len(b))...)
	}
	copy(b[off:], samples)
	r.buf[ch] = b
	if end := int64(len(b)); end > 2*recorderWindow {
		r.flushLocked(r.base + end - recorderWindow)
	}
}

// flushLocked writes every frame before absolute sample index upto.
func (r *Recorder) flushLocked(upto int64) {
	n := int(upto - r.base)
	if n <= 0 {
		return
	}
	out := make([]byte, 0, 4*n)
	for i := 0; i < n; i++ {
		var l, rr int16
		if i < len(r.buf[0]) {
			l = r.buf[0][i]
		}
		if i < len(r.buf[1]) {
			rr = r.buf[1][i]
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(l))
		out = binary.LittleEndian.AppendUint16(out, uint16(rr))
	}
	for ch := range r.buf {
		if n >= len(r.buf[ch]) {
			r.buf[ch] = r.buf[ch][:0]
		} else {
			r.buf[ch] = append(r.buf[ch][:0], r.buf[ch][n:]...)
		}
	}
	r.base = upto
	if _, err := r.f.Write(out); err != nil && r.err == nil {
		r.err = err
	}
	r.written += uint32(len(out))
}

// Close writes what is left and fixes the WAV header.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.err
	}
	r.closed = true
	end := r.base + int64(max(len(r.buf[0]), len(r.buf[1])))
	r.flushLocked(end)
	if r.err == nil {
		if _, err := r.f.WriteAt(wavHeader(2, r.written), 0); err != nil {
			r.err = err
		}
	}
	if err := r.f.Close(); err != nil && r.err == nil {
		r.err = err
	}
	if r.err != nil {
		return fmt.Errorf("recorder %s: %w", r.path, r.err)
	}
	return nil
}

// ReadStereoWAV reads a stereo 16-bit WAV written by a Recorder and returns its channels.
func ReadStereoWAV(path string) (left, right []int16, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read wav: %w", err)
	}
	if len(b) < 44 || string(b[0:4]) != "RIFF" || binary.LittleEndian.Uint16(b[22:]) != 2 {
		return nil, nil, fmt.Errorf("read wav %s: not a stereo WAV", path)
	}
	for i := 44; i+4 <= len(b); i += 4 {
		left = append(left, int16(binary.LittleEndian.Uint16(b[i:])))
		right = append(right, int16(binary.LittleEndian.Uint16(b[i+2:])))
	}
	return left, right, nil
}

// RMS returns the root mean square of samples, a measure of loudness (0 is silence).
func RMS(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, s := range samples {
		sum += float64(s) * float64(s)
	}
	return sqrt(sum / float64(len(samples)))
}
