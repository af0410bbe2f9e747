package api

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/huifang/huifang/store/importer"
)

// Every header cell the API hands the importer must name a column it reads; an unknown
// one would be ignored and the field silently dropped.
func TestImportHeadersKnown(t *testing.T) {
	for _, sp := range []*importSpec{customerSpec, workshopSpec, complaintSpec} {
		require.Len(t, sp.fields, len(sp.header), sp.kind)
		for _, h := range sp.header {
			require.True(t, importer.KnownHeader(h), "%s: header %q", sp.kind, h)
		}
	}
}
