// Command perfcap runs a command and turns "it's slow" into evidence: it
// samples the CPU and memory of every process the command starts and packs
// the figures, the logs and the machine's facts into one bundle.
package main

import (
	"os"

	"github.com/perfcap/perfcap/internal/iostreams"
)

func main() { os.Exit(Main(os.Args[1:], iostreams.System())) }
