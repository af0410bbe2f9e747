package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// SampleRate is the rate of every audio stream we handle (G.711 narrowband).
const SampleRate = 8000

// ReadWAV reads a 16-bit PCM WAV file at 8000 Hz and returns its first channel.
func ReadWAV(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read wav: %w", err)
	}
	defer f.Close()
	samples, err := DecodeWAV(f)
	if err != nil {
		return nil, fmt.Errorf("read wav %s: %w", path, err)
	}
	return samples, nil
}

// DecodeWAV reads a 16-bit PCM WAV stream at 8000 Hz and returns its first channel.
func DecodeWAV(r io.Reader) ([]int16, error) {
	samples, rate, err := decodeWAV(r)
	if err != nil {
		return nil, err
	}
	if rate != SampleRate {
		return nil, fmt.Errorf("need 16-bit %d Hz audio, got %d Hz", SampleRate, rate)
	}
	return samples, nil
}

// decodeWAV reads a 16-bit PCM WAV stream at any rate and returns its first channel and
// its rate. The data chunk may claim more than there is: a streamed WAV (espeak-ng's
// --stdout) writes its sizes as 0xFFFFFFFF, and its data runs to the end of the stream.
func decodeWAV(r io.Reader) ([]int16, int, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, 0, fmt.Errorf("header: %w", err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a RIFF/WAVE file")
	}
	var channels, bits uint16
	var rate uint32
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, 0, fmt.Errorf("no data chunk: %w", err)
		}
		size := binary.LittleEndian.Uint32(ch[4:])
		switch string(ch[:4]) {
		case "fmt ":
			if size < 16 || size > 1<<10 {
				return nil, 0, fmt.Errorf("fmt chunk of %d bytes", size)
			}
			buf := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return nil, 0, errors.New("short fmt chunk")
			}
			if format := binary.LittleEndian.Uint16(buf[0:]); format != 1 {
				return nil, 0, fmt.Errorf("format %d is not PCM", format)
			}
			channels = binary.LittleEndian.Uint16(buf[2:])
			rate = binary.LittleEndian.Uint32(buf[4:])
			bits = binary.LittleEndian.Uint16(buf[14:])
		case "data":
			if channels == 0 || rate == 0 {
				return nil, 0, errors.New("data before fmt chunk")
			}
			if bits != 16 {
				return nil, 0, fmt.Errorf("need 16-bit audio, got %d-bit", bits)
			}
			buf, err := io.ReadAll(io.LimitReader(r, int64(size)))
			if err != nil {
				return nil, 0, fmt.Errorf("data: %w", err)
			}
			frame := 2 * int(channels)
			out := make([]int16, 0, len(buf)/frame)
			for i := 0; i+frame <= len(buf); i += frame {
				out = append(out, int16(binary.LittleEndian.Uint16(buf[i:])))
			}
			return out, int(rate), nil
		default:
			if _, err := io.CopyN(io.Discard, r, int64(size)+int64(size%2)); err != nil {
				return nil, 0, fmt.Errorf("skip chunk: %w", err)
			}
		}
	}
}

// wavHeader returns the 44-byte header of a 16-bit PCM WAV with dataSize bytes of data.
func wavHeader(channels int, dataSize uint32) []byte {
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+dataSize)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], uint16(channels))
	binary.LittleEndian.PutUint32(h[24:], SampleRate)
	binary.LittleEndian.PutUint32(h[28:], uint32(SampleRate*2*channels))
	binary.LittleEndian.PutUint16(h[32:], uint16(2*channels))
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataSize)
	return h
}

// WriteWAV writes mono 16-bit samples at 8000 Hz to path.
func WriteWAV(path string, samples []int16) error {
	buf := wavHeader(1, uint32(2*len(samples)))
	for _, s := range samples {
		buf = binary.LittleEndian.AppendUint16(buf, uint16(s))
	}
	// Prompts and recordings are customers' data: not for other users of the machine.
	if err := os.WriteFile(path, buf, 0o640); err != nil {
		return fmt.Errorf("write wav: %w", err)
	}
	return nil
}

// ErrOutsideRecordings is a recording path that is not inside the recordings directory.
var ErrOutsideRecordings = errors.New("recording is not inside the recordings directory")

// OpenRecording opens a recording for reading, confined to the recordings directory dir:
// a path (absolute, or relative to the working directory, as the gateway stores it) that
// leads outside dir, by "..", or by a symbolic link, fails with ErrOutsideRecordings or
// an error of the os.Root it is opened through. A missing file is fs.ErrNotExist.
func OpenRecording(dir, path string) (*os.File, error) {
	if dir == "" {
		return nil, fmt.Errorf("open recording: no recordings directory: %w", ErrOutsideRecordings)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open recording: %w", err)
	}
	absPath, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open recording: %w", err)
	}
	rel, err := filepath.Rel(absDir, absPath)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return nil, fmt.Errorf("open recording %s: %w", path, ErrOutsideRecordings)
	}
	root, err := os.OpenRoot(absDir)
	if err != nil {
		return nil, fmt.Errorf("open recording: %w", err)
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err != nil && strings.Contains(err.Error(), "path escapes from parent") {
		// os.Root refused a symbolic link leading out (its error is not exported).
		return nil, fmt.Errorf("open recording %s: %w: %v", path, ErrOutsideRecordings, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open recording: %w", err)
	}
	return f, nil
}
