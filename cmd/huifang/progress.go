package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/term"
)

// progress draws a one-line progress bar on stderr when stderr is a terminal.
type progress struct {
	env   *cliEnv
	label string
	total int
	on    bool
	last  time.Time
}

func newProgress(env *cliEnv, label string, total int) *progress {
	f, ok := env.stderr.(*os.File)
	return &progress{env: env, label: label, total: total, on: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progress) set(done int) {
	if !p.on || time.Since(p.last) < 100*time.Millisecond && done < p.total {
		return
	}
	p.last = time.Now()
	pct := 100
	if p.total > 0 {
		pct = done * 100 / p.total
	}
	bar := make([]byte, 30)
	for i := range bar {
		if i*100/len(bar) < pct {
			bar[i] = '#'
		} else {
			bar[i] = '.'
		}
	}
	fmt.Fprintf(p.env.stderr, "\r%s [%s] %3d%% %d/%d", p.label, bar, pct, done, p.total)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprintln(p.env.stderr)
	}
}
