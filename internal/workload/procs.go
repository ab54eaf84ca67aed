package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// newChild builds the command that runs steps in a new process of this same
// executable. Its stdio is /dev/null until the caller says otherwise.
func newChild(steps []string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding own executable: %w", err)
	}
	return exec.Command(exe, steps...), nil
}

// inheritingChild is newChild with this process's stdio, passed down as the
// same file descriptors when they are files.
func (p *proc) inheritingChild(steps []string) (*exec.Cmd, error) {
	cmd, err := newChild(steps)
	if err != nil {
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, p.stdout, p.stderr
	return cmd, nil
}

// spawn runs n children on steps at once and waits for all of them. It
// reports the first that failed, by its number and pid.
func spawn(p *proc, n int, steps []string) error {
	var started []*exec.Cmd
	var first error
	for range n {
		cmd, err := p.inheritingChild(steps)
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			first = fmt.Errorf("spawn: starting child %d of %d: %w", len(started)+1, n, err)
			break
		}
		started = append(started, cmd)
	}
	for i, cmd := range started {
		if err := cmd.Wait(); err != nil && first == nil {
			first = fmt.Errorf("spawn: child %d of %d (pid %d): %w", i+1, n, cmd.Process.Pid, err)
		}
	}
	return first
}

// orphan starts a child on steps with this process's stdio and returns
// without waiting; as the step is the program's last, the process then exits
// and the child is reparented to the nearest subreaper (or init), still
// holding the stdio it inherited.
func orphan(p *proc, steps []string) error {
	cmd, err := p.inheritingChild(steps)
	if err != nil {
		return fmt.Errorf("orphan: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("orphan: %w", err)
	}
	return cmd.Process.Release()
}

// detach starts a child on steps as the leader of a new session, with stdin,
// stdout and stderr on /dev/null, and returns without waiting: the second
// fork of a classic daemon, which leaves no pipe open behind it.
func detach(steps []string) error {
	cmd, err := newChild(steps)
	if err != nil {
		return fmt.Errorf("detach: %w", err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("detach: %w", err)
	}
	return cmd.Process.Release()
}

// daemon daemonizes steps the classic way: a child detaches a grandchild
// that runs steps and exits at once; daemon waits for that child only, so
// the grandchild is orphaned in its own session.
func daemon(p *proc, steps []string) error {
	cmd, err := p.inheritingChild(append([]string{"detach", "--"}, steps...))
	if err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("daemon: intermediate child: %w", err)
	}
	return nil
}
