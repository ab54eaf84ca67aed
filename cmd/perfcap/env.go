package main

import (
	"encoding/json"
	"os"

	"github.com/spf13/cobra"

	"github.com/perfcap/perfcap/capture/redact"
	"github.com/perfcap/perfcap/facts"
	"github.com/perfcap/perfcap/internal/iostreams"
)

func newEnvCmd(io *iostreams.IOStreams) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "env [--json] [-- COMMAND...]",
		Short: "Print the machine and toolchain facts a bundle records",
		Long: `env prints what perfcap records in a bundle's env.json: the OS, CPU,
memory, storage, virtualization, perf settings, git state, and the toolchain
and Cargo profile of COMMAND (default: cargo).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"cargo"}
			}
			red, err := redact.New(nil)
			if err != nil {
				return err
			}
			dir, err := os.Getwd()
			if err != nil {
				return err
			}
			facts := facts.Collect(cmd.Context(), facts.Options{Dir: dir, Command: args, Env: red.Env(os.Environ())})
			if asJSON {
				enc := json.NewEncoder(io.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(facts)
			}
			return facts.WriteText(io.Out)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON, as in the bundle's env.json")
	return cmd
}
