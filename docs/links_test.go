package docs

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// mdLink finds inline Markdown links and images: [text](target) or [text](target "title").
var mdLink = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)

// skipDirs are directories that hold no documentation of ours.
var skipDirs = map[string]bool{".git": true, "node_modules": true, "var": true, "bin": true}

// links returns every link target of a Markdown file outside code blocks and code spans,
// with its line number.
func links(t *testing.T, path string) (targets []string, lines []int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	inFence := false
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		line = regexp.MustCompile("`[^`]*`").ReplaceAllString(line, "")
		for _, m := range mdLink.FindAllStringSubmatch(line, -1) {
			targets = append(targets, m[1])
			lines = append(lines, n)
		}
	}
	require.NoError(t, sc.Err())
	return targets, lines
}

// slug is GitHub's anchor of a heading: lower case, punctuation dropped, spaces as '-'.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ' || r == '-':
			b.WriteRune('-')
		case r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 0x7f:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchors returns the heading anchors of a Markdown file.
func anchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	a := map[string]bool{}
	inFence := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimLeft(line, "#")
		s := slug(h)
		for i := 1; a[s]; i++ { // repeated headings get -1, -2, ...
			s = slug(h) + "-" + string(rune('0'+i))
		}
		a[s] = true
	}
	return a
}

// resolve checks one link target of the Markdown file at path (relative to root) and
// returns why it does not resolve inside the repository, or "".
func resolve(t *testing.T, root, path, target string) string {
	lower := strings.ToLower(target)
	for _, scheme := range []string{"http://", "https://", "mailto:"} {
		if strings.HasPrefix(lower, scheme) {
			return ""
		}
	}
	if strings.Contains(target, "://") || filepath.IsAbs(target) {
		return "points outside the repository"
	}
	file, anchor, _ := strings.Cut(target, "#")
	dest := path
	if file != "" {
		dest = filepath.Join(filepath.Dir(path), file)
	}
	rel, err := filepath.Rel(root, dest)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "points outside the repository"
	}
	st, err := os.Stat(dest)
	if err != nil {
		return "no such file in the repository"
	}
	if anchor != "" && !st.IsDir() && strings.HasSuffix(dest, ".md") && !anchors(t, dest)[anchor] {
		return "no heading #" + anchor + " in " + rel
	}
	return ""
}

// TestMarkdownLinksResolveInsideTheRepository fails for a link to a file or heading that
// the repository does not have, or to a path outside it (such as ../elsewhere/x.md):
// someone who clones the project has only the repository.
func TestMarkdownLinksResolveInsideTheRepository(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	var broken []string
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".md") {
			return nil
		}
		targets, lines := links(t, path)
		for i, target := range targets {
			checked++
			if why := resolve(t, root, path, target); why != "" {
				rel, _ := filepath.Rel(root, path)
				broken = append(broken, rel+":"+strconv.Itoa(lines[i])+": "+target+": "+why)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.NotZero(t, checked, "no Markdown link found: is the walk rooted at the repository?")
	require.Empty(t, broken, "broken Markdown links")
}

// TestResolve shows what the link check accepts and refuses.
func TestResolve(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "docs"), 0o755))
	readme := filepath.Join(root, "README.md")
	require.NoError(t, os.WriteFile(readme, []byte("# Huifang\n## Two commands\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "docs", "domain.md"), []byte("## Settings and their defaults\n### What (`x.Y`) does\n"), 0o644))
	for _, tc := range []struct {
		target string
		ok     bool
	}{
		{"docs/domain.md", true},
		{"docs/domain.md#settings-and-their-defaults", true},
		{"docs/domain.md#what-xy-does", true},
		{"#two-commands", true},
		{"https://example.com/x", true},
		{"docs/", true},
		{"../outside/NOTES.md", false},
		{"docs/missing.md", false},
		{"docs/domain.md#no-such-heading", false},
		{"/etc/passwd", false},
		{"file:///etc/passwd", false},
	} {
		why := resolve(t, root, readme, tc.target)
		require.Equal(t, tc.ok, why == "", "%s: %s", tc.target, why)
	}
}
