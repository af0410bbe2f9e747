package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRenderPromptMandarin(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed; run .ci/test-tools.sh")
	}
	path := filepath.Join(t.TempDir(), "prompt.wav")
	samples, err := RenderPrompt(context.Background(), "您好，这里是广州测试4S店。需要预约保养请按1，不感兴趣请按2，不希望再接到来电请按9。", path)
	require.NoError(t, err)
	// Several seconds of speech at 8000 Hz, not silence.
	require.Greater(t, len(samples), 8000*3)
	loud := 0
	for _, s := range samples {
		if s > 1000 || s < -1000 {
			loud++
		}
	}
	require.Greater(t, loud, len(samples)/20)
	back, err := ReadWAV(path)
	require.NoError(t, err, "the gateway reads the prompt")
	require.Equal(t, samples, back)

	_, err = RenderPrompt(context.Background(), "  ", path)
	require.Error(t, err)
}

// TestRenderPromptOptionInjection is the attack from issue 12: a prompt starting with "-"
// was an espeak-ng option, so "-f<file>" spoke any file the service can read to customers.
// The file here holds minutes of speech; the prompt, spoken as text, is a few seconds.
func TestRenderPromptOptionInjection(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed; run .ci/test-tools.sh")
	}
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.txt")
	require.NoError(t, os.WriteFile(secret, []byte(strings.Repeat("这是一段很长的秘密文本。", 200)), 0o600))
	path := filepath.Join(dir, "prompt.wav")
	for _, text := range []string{"-f" + secret, "--path=" + dir + " -f " + secret, "-f " + secret} {
		samples, err := RenderPrompt(context.Background(), text, path)
		require.NoError(t, err, text)
		require.Less(t, len(samples), 8000*30, "%q was read as an option: the file was spoken", text)
		require.Greater(t, len(samples), 8000, "%q is spoken as text", text)
	}
}

func TestRenderPromptRefusesBadText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prompt.wav")
	for _, tc := range []struct{ text, want string }{
		{"  ", "empty"},
		{"您好\x00请按1", "control character"},
		{"您好\x1b[2J", "control character"},
		{strings.Repeat("好", MaxPromptChars+1), "at most"},
	} {
		_, err := RenderPrompt(context.Background(), tc.text, path)
		require.ErrorContains(t, err, tc.want, "%q", tc.text)
		_, statErr := os.Stat(path)
		require.True(t, os.IsNotExist(statErr), "nothing written for %q", tc.text)
	}
}

// TestDecodeStreamedWAV reads a WAV as espeak-ng streams it: 22050 Hz, sizes 0xFFFFFFFF.
func TestDecodeStreamedWAV(t *testing.T) {
	h := wavHeader(1, 0xFFFFFFFF)
	binary.LittleEndian.PutUint32(h[4:], 0xFFFFFFFF)
	binary.LittleEndian.PutUint32(h[24:], 22050)
	b := append(h, 1, 0, 2, 0, 0xff, 0xff)
	samples, rate, err := decodeWAV(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, 22050, rate)
	require.Equal(t, []int16{1, 2, -1}, samples)
	_, err = DecodeWAV(bytes.NewReader(b))
	require.ErrorContains(t, err, "8000 Hz", "the gateway plays 8000 Hz only")
}
