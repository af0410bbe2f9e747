package sms

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/huifang/huifang/telephony/media"
)

// MaxPromptChars bounds a prompt's text, in characters (about two minutes of speech).
const MaxPromptChars = 500

// RenderPrompt speaks text in Mandarin with espeak-ng (offline, voice cmn) and writes it
// to path as the gateway's prompt format: 16-bit PCM WAV, mono, 8000 Hz. It returns the
// samples written. espeak-ng must be installed (.ci/test-tools.sh installs it).
//
// The text is the director's: it reaches espeak-ng on stdin, never as an argument, so a
// text starting with "-" is spoken, not taken as an option ("-f<file>" would speak any
// file the service can read). CheckPromptText's rules apply first.
func RenderPrompt(ctx context.Context, text, path string) ([]int16, error) {
	if err := CheckPromptText(text); err != nil {
		return nil, err
	}
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		return nil, fmt.Errorf("prompt: espeak-ng is not installed: %w", err)
	}
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-v", "cmn", "-s", "150", "--stdout", "--stdin")
	cmd.Stdin = strings.NewReader(text)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("prompt: espeak-ng: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	samples, rate, err := decodePCM16(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("prompt: espeak-ng output: %w", err)
	}
	samples = media.Resample(samples, rate, 8000)
	if err := media.WriteWAV(path, samples); err != nil {
		return nil, fmt.Errorf("prompt: %w", err)
	}
	return samples, nil
}

// CheckPromptText refuses a prompt text that is empty, is not UTF-8, holds a control
// character other than a line break or tab, or is longer than MaxPromptChars; the error
// names the problem.
func CheckPromptText(text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("prompt: the text is empty")
	}
	if !utf8.ValidString(text) {
		return errors.New("prompt: the text is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(text); n > MaxPromptChars {
		return fmt.Errorf("prompt: the text has %d characters; at most %d", n, MaxPromptChars)
	}
	for i, r := range []rune(text) {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return fmt.Errorf("prompt: the text holds a control character (U+%04X) at character %d", r, i+1)
		}
	}
	return nil
}

// decodePCM16 reads a mono 16-bit PCM WAV at any rate. espeak-ng writes the sizes of a
// streamed WAV as 0xFFFFFFFF, so the data chunk runs to the end of the input.
func decodePCM16(b []byte) ([]int16, int, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a RIFF/WAVE file")
	}
	rate, channels, bits := 0, 0, 0
	p := 12
	for p+8 <= len(b) {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		p += 8
		switch id {
		case "fmt ":
			if p+16 > len(b) {
				return nil, 0, errors.New("short fmt chunk")
			}
			if binary.LittleEndian.Uint16(b[p:]) != 1 {
				return nil, 0, errors.New("not PCM")
			}
			channels = int(binary.LittleEndian.Uint16(b[p+2:]))
			rate = int(binary.LittleEndian.Uint32(b[p+4:]))
			bits = int(binary.LittleEndian.Uint16(b[p+14:]))
			p += size + size%2
		case "data":
			if rate == 0 || channels != 1 || bits != 16 {
				return nil, 0, fmt.Errorf("want mono 16-bit PCM, got %d channels, %d bits, %d Hz", channels, bits, rate)
			}
			end := len(b)
			if size >= 0 && p+size <= len(b) {
				end = p + size
			}
			data := b[p:end]
			out := make([]int16, len(data)/2)
			for i := range out {
				out[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
			}
			return out, rate, nil
		default:
			p += size + size%2
		}
	}
	return nil, 0, errors.New("no data chunk")
}
