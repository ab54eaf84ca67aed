package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/internal/iostreams"
)

func newExtractCmd(io *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "extract BUNDLE [DIR]",
		Short: "Unpack a bundle into DIR (default: the bundle's name without .tar.zst)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := strings.TrimSuffix(filepath.Base(args[0]), ".tar.zst")
			if len(args) == 2 {
				dir = args[1]
			}
			m, err := bundle.Extract(args[0], dir)
			if err != nil {
				return err
			}
			fmt.Fprintf(io.Out, "%s: %s extracted into %s\n", args[0], report.Plural(int64(len(m.Files)+1), "file", "files"), dir)
			return nil
		},
	}
}
