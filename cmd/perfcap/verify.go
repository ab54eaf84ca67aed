package main

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/bundle"
	"github.com/perfcap/perfcap/bundle/report"
	"github.com/perfcap/perfcap/internal/iostreams"
)

func newVerifyCmd(io *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "verify BUNDLE",
		Short: "Re-hash every file of a bundle; exit 1 on any mismatch or missing file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(io, args[0])
		},
	}
}

func runVerify(io *iostreams.IOStreams, path string) error {
	m, err := bundle.Verify(path)
	if err == nil {
		fmt.Fprintf(io.Out, "%s: ok, %s verified\n", path, report.Plural(int64(len(m.Files)), "file", "files"))
		return nil
	}
	var ve *bundle.VerifyError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Fprintln(io.ErrOut, p)
		}
		return &codeError{code: exitInvalid, err: fmt.Errorf("%s is damaged: %d problem(s); ask for the bundle again", path, len(ve.Problems))}
	}
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return err // not a damaged bundle: perfcap could not read it
	}
	return &codeError{code: exitInvalid, err: err}
}
