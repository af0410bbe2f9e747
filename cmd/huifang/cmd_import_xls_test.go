package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/importer"
)

// copyXLSFixture copies an .xls fixture of the importer (written by Spreadsheet::WriteExcel)
// to a temporary file called as.
func copyXLSFixture(t *testing.T, name, as string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "store", "importer", "testdata", name))
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), as)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// TestImportCommandXLS runs `huifang import` on old binary Excel (.xls) exports: a bad
// row is reported with its sheet row, column and value; a good file imports, also when
// it is not named .xls; a damaged one is refused with a message saying so.
func TestImportCommandXLS(t *testing.T) {
	env, out, errb := importEnv(t)
	ctx := context.Background()

	bad := copyXLSFixture(t, "owners_bad.xls", "车主.xls")
	code := runWith(ctx, env, []string{"import", "--dealer", "XLS1", "--json", bad})
	require.Equal(t, 1, code, "a file with an invalid row is refused")
	s := lastJSON(t, out.String())
	require.Equal(t, importer.Counts{Read: 3, Invalid: 2}, s.Counts)
	require.Len(t, s.Errors, 2)
	require.Equal(t, importer.RowError{Row: 3, Column: "手机号", Value: "1381234", Reason: s.Errors[0].Reason, File: bad}, s.Errors[0])
	require.Contains(t, errb.String(), "refused")

	out.Reset()
	good := copyXLSFixture(t, "owners.xls", "export.dat")
	code = runWith(ctx, env, []string{"import", "--dealer", "XLS1", good})
	require.Equal(t, 0, code, errb.String())
	require.Contains(t, out.String(), "(owners, xls)")
	require.Contains(t, out.String(), "read 3, inserted 3")

	out.Reset()
	b, err := os.ReadFile(good)
	require.NoError(t, err)
	cut := filepath.Join(t.TempDir(), "cut.xls")
	require.NoError(t, os.WriteFile(cut, b[:len(b)/2], 0o644))
	code = runWith(ctx, env, []string{"import", "--dealer", "XLS1", cut})
	require.Equal(t, 1, code)
	require.Contains(t, out.String(), "damaged or cut short")
}
