package importer

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/shakinm/xlsReader/xls/record"
	"github.com/shakinm/xlsReader/xls/structure"
	"github.com/stretchr/testify/require"
)

// TestXLSCell checks the text of number cells in each encoding BIFF8 has for them: the
// fixtures' writer only writes NUMBER records, Excel writes small numbers as RK.
func TestXLSCell(t *testing.T) {
	rk := func(v uint32) *record.Rk {
		b := make([]byte, 10)
		binary.LittleEndian.PutUint32(b[6:], v)
		c := new(record.Rk)
		c.Read(b)
		return c
	}
	number := func(f float64) *record.Number {
		b := make([]byte, 14)
		binary.LittleEndian.PutUint64(b[6:], math.Float64bits(f))
		c := new(record.Number)
		c.Read(b)
		return c
	}
	high := func(f float64) uint32 { return uint32(math.Float64bits(f)>>32) &^ 3 }
	for _, tc := range []struct {
		name string
		cell structure.CellData
		want string
	}{
		{"RK integer", rk(12000<<2 | 2), "12000"},
		{"RK zero", rk(0<<2 | 2), "0"},
		{"RK negative integer", rk(uint32(-5&0x3FFFFFFF)<<2 | 2), "-5"},
		{"RK integer / 100", rk(123456<<2 | 3), "1234.56"},
		{"RK float (date and time)", rk(high(45717.5)), "45717.5"},
		{"RK float / 100", rk(high(1234) | 1), "12.34"},
		{"NUMBER mobile", number(13912345678), "13912345678"},
		{"NUMBER big", number(1e20), "100000000000000000000"},
		{"NUMBER fraction", number(45717.4375), "45717.4375"},
		{"blank", new(record.FakeBlank), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, xlsCell(tc.cell))
		})
	}
	require.Equal(t, "", xlsCell(nil))
}

func TestXLSString(t *testing.T) {
	require.Equal(t, "Wang Fang", xlsString(append([]byte{9, 0, 0}, "Wang Fang"...)))
	require.Equal(t, "Zoë", xlsString([]byte{3, 0, 0, 'Z', 'o', 0xEB}))
	require.Equal(t, "王芳", xlsString([]byte{2, 0, 1, 0x8B, 0x73, 0xB3, 0x82}))
	require.Equal(t, "王", xlsString([]byte{2, 0, 1, 0x8B, 0x73}), "characters continued elsewhere are left out")
}
