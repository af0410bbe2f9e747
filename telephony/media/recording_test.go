package media

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOpenRecordingConfined: a recording path from the database leads only inside the
// recordings directory, whatever it says (a row pointed at /etc/passwd, a "..", a link).
func TestOpenRecordingConfined(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "recordings")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "2026"), 0o750))
	secret := filepath.Join(base, "secret.txt")
	require.NoError(t, os.WriteFile(secret, []byte("not a recording"), 0o600))
	good := filepath.Join(dir, "2026", "c1.wav")
	require.NoError(t, WriteWAV(good, []int16{1, 2, 3}))
	require.NoError(t, os.Symlink(secret, filepath.Join(dir, "link.wav")))

	f, err := OpenRecording(dir, good)
	require.NoError(t, err)
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	require.Len(t, b, 44+6)
	require.NoError(t, f.Close())

	for _, path := range []string{secret, "/etc/passwd", filepath.Join(dir, "..", "secret.txt"), filepath.Join(dir, "link.wav"), dir, base} {
		f, err := OpenRecording(dir, path)
		if f != nil {
			f.Close()
		}
		require.ErrorIs(t, err, ErrOutsideRecordings, path)
	}
	_, err = OpenRecording(dir, filepath.Join(dir, "gone.wav"))
	require.True(t, errors.Is(err, fs.ErrNotExist), "%v", err)
	_, err = OpenRecording("", good)
	require.ErrorIs(t, err, ErrOutsideRecordings)
}

// TestRecordingFilesPrivate: recordings and prompts are not readable by other users.
func TestRecordingFilesPrivate(t *testing.T) {
	dir := t.TempDir()
	r, err := NewRecorder(filepath.Join(dir, "call.wav"))
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.NoError(t, WriteWAV(filepath.Join(dir, "prompt.wav"), []int16{1}))
	for _, name := range []string{"call.wav", "prompt.wav"} {
		st, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Zero(t, st.Mode().Perm()&0o007, "%s is %v", name, st.Mode().Perm())
	}
}
