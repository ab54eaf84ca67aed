package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// completeCommand completes the command perfcap is to run: its first word
// from the programs on PATH (besides perfcap's subcommands, which cobra
// adds), then the shell's own file completion for its arguments. The
// shell scripts come from cobra's `perfcap completion bash|zsh|fish|powershell`.
func completeCommand(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 || toComplete == "" || strings.ContainsRune(toComplete, '/') {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return programsOnPath(os.Getenv("PATH"), toComplete), cobra.ShellCompDirectiveDefault
}

// programsOnPath lists the executable files named prefix... in the PATH
// directories, sorted, without duplicates.
func programsOnPath(path, prefix string) []cobra.Completion {
	var names []cobra.Completion
	for _, dir := range filepath.SplitList(path) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), prefix) {
				continue
			}
			fi, err := os.Stat(filepath.Join(dir, e.Name()))
			if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
				continue
			}
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}
