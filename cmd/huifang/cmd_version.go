package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func cmdVersion(_ context.Context, env *cliEnv, _ []string) error {
	v := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v = s.Value[:12]
			}
		}
	}
	fmt.Fprintln(env.stdout, "huifang", v)
	return nil
}
