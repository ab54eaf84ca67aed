package capture

import (
	"fmt"
	"os"
	"syscall"
)

// The exec shim lets perf attach to the command before it runs a single
// instruction: perfcap starts its own binary with shimEnv set, the shim
// waits for one byte on fd 3, and then execs the command in place, keeping
// its pid, process group and terminal. perf record -p follows every process
// the command forks from then on.
const (
	shimEnv     = "_PERFCAP_EXEC_SHIM"
	shimPathEnv = "_PERFCAP_EXEC_PATH"
)

func init() {
	if os.Getenv(shimEnv) == "1" {
		os.Exit(runShim())
	}
}

// runShim waits for the go-ahead and execs the command; it returns only on
// failure, with the exit code a shell would give.
func runShim() int {
	path := os.Getenv(shimPathEnv)
	env := make([]string, 0, len(os.Environ()))
	for _, kv := range os.Environ() {
		if !hasEnvName(kv, shimEnv) && !hasEnvName(kv, shimPathEnv) {
			env = append(env, kv)
		}
	}
	gate := os.NewFile(3, "perfcap-gate")
	var b [1]byte
	n, _ := gate.Read(b[:])
	gate.Close()
	if n != 1 {
		return 125 // perfcap went away before releasing the command
	}
	err := syscall.Exec(path, os.Args, env)
	fmt.Fprintf(os.Stderr, "perfcap: exec %s: %v\n", path, err)
	return 126
}

func hasEnvName(kv, name string) bool {
	return len(kv) > len(name) && kv[len(name)] == '=' && kv[:len(name)] == name
}
