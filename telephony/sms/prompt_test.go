package sms

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/telephony/media"
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
	back, err := media.ReadWAV(path)
	require.NoError(t, err, "the gateway reads the prompt")
	require.Equal(t, samples, back)

	_, err = RenderPrompt(context.Background(), "  ", path)
	require.Error(t, err)
}

func TestResample(t *testing.T) {
	in := make([]int16, 22050)
	for i := range in {
		in[i] = 100
	}
	out := resample(in, 22050, 8000)
	require.Len(t, out, 8000)
	require.Equal(t, int16(100), out[4000])
	require.Len(t, resample(in[:8000], 8000, 16000), 16000)
}
