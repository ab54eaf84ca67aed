package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/capture"
	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/internal/iostreams"
)

// Exit codes of perfcap itself; a run otherwise exits with the command's.
const (
	exitOK       = 0
	exitInvalid  = 1   // verify found a bad bundle
	exitError    = 125 // perfcap failed (usage, I/O, ...)
	exitNoExec   = 126 // the command cannot be executed
	exitNotFound = 127 // the command was not found
)

// exitError carries the code a command wants perfcap to exit with.
type codeError struct {
	code int
	err  error // printed unless nil
}

func (e *codeError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *codeError) Unwrap() error { return e.err }

// Main runs perfcap with args and returns its exit code. It is the whole
// program, minus os.Exit, so tests run it in-process.
func Main(args []string, io *iostreams.IOStreams) int {
	root := newRootCmd(io)
	root.SetArgs(args)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	err := root.ExecuteContext(context.Background())
	return exitCodeOf(err, io)
}

// exitCodeOf maps an error to perfcap's exit code, printing it; this is
// the one place where errors become codes. The message passes the built-in
// redaction (an error may quote a command named like a token).
func exitCodeOf(err error, io *iostreams.IOStreams) int {
	if err == nil {
		return exitOK
	}
	if red, rerr := redact.New(nil); rerr == nil {
		red.Env(os.Environ())
		err = redactedError{err, red.String(err.Error())}
	}
	var ce *codeError
	if errors.As(err, &ce) {
		if ce.err != nil {
			fmt.Fprintf(io.ErrOut, "perfcap: %v\n", err)
		}
		return ce.code
	}
	var se *capture.StartError
	if errors.As(err, &se) {
		fmt.Fprintf(io.ErrOut, "perfcap: %v\n", err)
		return se.Code
	}
	fmt.Fprintf(io.ErrOut, "perfcap: %v\n", err)
	return exitError
}

func newRootCmd(io *iostreams.IOStreams) *cobra.Command {
	opts := &runOptions{io: io}
	cmd := &cobra.Command{
		Use:   "perfcap [flags] -- COMMAND [ARGS...]",
		Short: "Run a command and capture evidence of its performance",
		Long: `perfcap runs COMMAND exactly as you would, samples the CPU and memory of
every process it starts, and packs the figures, the logs and the machine's
facts into one .tar.zst bundle ready to attach to a performance issue.

It exits with the command's exit code (128+N when signal N killed it), or
125 when perfcap itself failed, 126 when the command cannot be executed,
127 when it was not found.`,
		Example: `  perfcap -- cargo bench
  perfcap -o bench.tar.zst --interval 50ms -- ./run-workload.sh
  perfcap inspect perfcap-20261129-101500-cargo.tar.zst`,
		Version:       version,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		// The command to run is completed as a program, then files.
		ValidArgsFunction: completeCommand,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			opts.argv = args
			return runRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().SetInterspersed(false)
	addRunFlags(cmd, opts)
	cmd.AddCommand(
		newRunCmd(io),
		newInspectCmd(io),
		newPushCmd(io),
		newVerifyCmd(io),
		newExtractCmd(io),
		newEnvCmd(io),
		newFlameCmd(io),
		newReportCmd(io),
		newExportCmd(io),
		newWatchCmd(io),
		newBundleCmd(io),
		newDiffCmd(io),
	)
	// cobra's `completion bash|zsh|fish|powershell`, made now so that an
	// unknown shell is an error rather than the help and exit 0; its
	// scripts go to the writer set when it is made.
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	cmd.InitDefaultCompletionCmd()
	if c, _, err := cmd.Find([]string{"completion"}); err == nil && c != cmd {
		c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	}
	cmd.SetVersionTemplate("perfcap {{.Version}}\n")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &codeError{code: exitError, err: fmt.Errorf("%w (see `%s --help`)", err, c.CommandPath())}
	})
	return cmd
}

// redactedError is an error whose message was redacted; Unwrap still
// gives the original, so codes are found as before.
type redactedError struct {
	err error
	msg string
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
