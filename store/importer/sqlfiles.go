package importer

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed sql/*.sql
var sqlFS embed.FS

// block is one named piece of a kind's SQL file: "-- block: name" or "-- block: name (role)".
// The blocks named stage, check and counts have those roles; other roles are "inserted"
// (the statement's row count adds to Inserted) and "updated" (a query giving Updated).
type block struct {
	name string
	role string
	sql  string
}

// loadBlocks reads sql/<kind>.sql and splits it into its blocks, in file order.
func loadBlocks(k Kind) ([]block, error) {
	b, err := sqlFS.ReadFile("sql/" + string(k) + ".sql")
	if err != nil {
		return nil, fmt.Errorf("importer: sql for %s: %w", k, err)
	}
	var out []block
	for _, part := range strings.Split(string(b), "-- block: ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		name, role, _ := strings.Cut(strings.TrimSpace(name), " (")
		role = strings.TrimSuffix(role, ")")
		if role == "" && (name == "stage" || name == "check" || name == "counts") {
			role = name
		}
		out = append(out, block{name: name, role: role, sql: strings.TrimSpace(body)})
	}
	return out, nil
}

// statements splits a block into its statements (blocks hold no semicolons in literals).
func (b block) statements() []string {
	var out []string
	for _, s := range strings.Split(b.sql, ";\n") {
		if s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), ";")); s != "" {
			out = append(out, s)
		}
	}
	return out
}
