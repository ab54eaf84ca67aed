package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// An action runs one parsed step.
type action func(p *proc) error

// A builder turns a step's positional arguments (and, for a tail step, the
// children's program) into its action, once its flags are parsed.
type builder func(args, rest []string) (action, error)

// A kind is one step of the workload language.
type kind struct {
	name  string
	usage string // synopsis, e.g. "alloc SIZE"
	help  string // one line for workload -h
	nargs int    // positional arguments after the name
	// tail marks a step followed by "-- STEPS...": the rest of the command
	// line is a child's program, so the step is the parent's last.
	tail bool
	// define registers the step's flags on fs and returns its builder.
	define func(fs *flag.FlagSet) builder
}

// noFlags is the define function of a step without flags.
func noFlags(b builder) func(*flag.FlagSet) builder {
	return func(*flag.FlagSet) builder { return b }
}

// lookup finds the kind called name.
func lookup(name string) (kind, bool) {
	for _, k := range kinds {
		if k.name == name {
			return k, true
		}
	}
	return kind{}, false
}

// A program is a parsed command line: global flags and steps.
type program struct {
	// report asks for the report JSON line as the program's last act.
	report bool
	steps  []action
}

// parseProgram parses a whole command line, checking the programs given to
// child processes too, so a typo fails before anything runs. It returns an
// error wrapping flag.ErrHelp for -h.
func parseProgram(args []string) (program, error) {
	var prog program
	fs := flag.NewFlagSet("workload", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&prog.report, "report", false, "print the report JSON line to stderr as the program's last act")
	if err := fs.Parse(args); err != nil {
		return prog, fmt.Errorf("%w (run workload -h for help)", err)
	}
	args = fs.Args()
	if len(args) == 0 {
		return prog, errors.New("no steps given (run workload -h for the list)")
	}
	for len(args) > 0 {
		k, ok := lookup(args[0])
		if !ok {
			return prog, fmt.Errorf("unknown step %q (run workload -h for the list)", args[0])
		}
		act, next, err := parseStep(k, args[1:])
		if err != nil {
			return prog, fmt.Errorf("%s: %w (usage: %s)", k.name, err, k.usage)
		}
		prog.steps = append(prog.steps, act)
		args = next
	}
	return prog, nil
}

// parseStep parses the arguments and flags of one step of kind k from args
// and returns its action and the arguments of the steps that follow.
func parseStep(k kind, args []string) (action, []string, error) {
	fs := flag.NewFlagSet(k.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	build := k.define(fs)
	var rest []string
	if k.tail {
		i := slices.Index(args, "--")
		if i < 0 || i == len(args)-1 {
			return nil, nil, errors.New(`want "--" and the child's steps`)
		}
		if _, err := parseProgram(args[i+1:]); err != nil {
			return nil, nil, fmt.Errorf("child program: %v", err)
		}
		args, rest = args[:i], args[i+1:]
	}
	// Flags may come before the arguments, after them, or both.
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if fs.NArg() < k.nargs {
		return nil, nil, fmt.Errorf("want %d argument(s)", k.nargs)
	}
	pos := fs.Args()[:k.nargs]
	if err := fs.Parse(fs.Args()[k.nargs:]); err != nil {
		return nil, nil, err
	}
	next := fs.Args()
	if k.tail && len(next) > 0 {
		return nil, nil, fmt.Errorf("unexpected %q before \"--\"", next[0])
	}
	act, err := build(pos, rest)
	return act, next, err
}

// parseCount reads a whole number of at least min.
func parseCount(s string, min int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < min {
		return 0, fmt.Errorf("bad count %q: want a whole number >= %d", s, min)
	}
	return n, nil
}

// helpText is workload -h: the command line and every step.
func helpText() string {
	var b strings.Builder
	b.WriteString("usage: workload [-report] STEP [ARGS]... [STEP [ARGS]...]...\n\n")
	b.WriteString("Steps run in order. -report prints the report JSON line as the program's last act.\n\n")
	for _, k := range kinds {
		fmt.Fprintf(&b, "  %-34s %s\n", k.usage, k.help)
	}
	b.WriteString("\nSIZE: 4096, 512KiB, 100MiB, 1GiB. DURATION: 1.5s, 300ms or bare seconds.\n")
	return b.String()
}
