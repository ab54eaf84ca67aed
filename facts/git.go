package facts

import (
	"context"
	"os/exec"
	"strings"
	"sync"
)

// GitFacts is the state of the git repository holding the working
// directory.
type GitFacts struct {
	// Commit is the full hash of HEAD; empty in a repository without commits.
	Commit string `json:"commit,omitempty"`
	// Branch is the current branch, or "HEAD" when detached.
	Branch string `json:"branch,omitempty"`
	// Dirty tells whether tracked files differ from HEAD; untracked files do
	// not count. Nil when git status could not say.
	Dirty *bool `json:"dirty,omitempty"`
}

// gitProbeEnv keeps git status from taking the index lock to refresh it,
// which could make a concurrent git command in the same checkout fail.
var gitProbeEnv = []string{"GIT_OPTIONAL_LOCKS=0"}

// gitSection asks git for HEAD and the dirty state, concurrently. Outside
// a repository, or without git, it records nothing.
func (c *factsCollector) gitSection(ctx context.Context) func(*Facts) {
	if _, err := exec.LookPath("git"); err != nil || c.dirErr != nil {
		return func(*Facts) {}
	}
	var (
		head, status       string
		headErr, statusErr error
		wg                 sync.WaitGroup
	)
	wg.Go(func() {
		head, headErr = c.probe(ctx, gitProbeEnv, "git", "rev-parse", "HEAD", "--abbrev-ref", "HEAD")
	})
	wg.Go(func() {
		status, statusErr = c.probe(ctx, gitProbeEnv, "git", "status", "--porcelain", "--untracked-files=no")
	})
	wg.Wait()
	if notARepository(headErr) || notARepository(statusErr) {
		return func(*Facts) {}
	}
	g := &GitFacts{}
	if headErr == nil {
		lines := strings.Fields(head)
		if len(lines) == 2 {
			g.Commit, g.Branch = lines[0], lines[1]
		}
	}
	if statusErr == nil {
		dirty := strings.TrimSpace(status) != ""
		g.Dirty = &dirty
	}
	return func(f *Facts) {
		f.Git = g
		if headErr != nil {
			f.unknownErr("git.commit", headErr)
		} else if g.Commit == "" {
			f.unknown("git.commit", "git rev-parse: unexpected output "+factsTruncate(factsOneLine(head), 80))
		}
		if statusErr != nil {
			f.unknownErr("git.dirty", statusErr)
		}
	}
}

// notARepository tells whether a git probe failed because the directory is
// not in a repository.
func notARepository(err error) bool {
	return err != nil && strings.Contains(err.Error(), "not a git repository")
}
