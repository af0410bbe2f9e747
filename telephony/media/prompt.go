package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"unicode"
	"unicode/utf8"
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
	samples, rate, err := decodeWAV(&out)
	if err != nil {
		return nil, fmt.Errorf("prompt: espeak-ng output: %w", err)
	}
	samples = Resample(samples, rate, SampleRate)
	if err := WriteWAV(path, samples); err != nil {
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
