package flame

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// WriteFolded writes stacks in the folded format, one "frame;...;frame
// COUNT" line each, sorted by stack so that a profile gives the same text
// whatever the order of its stacks.
func WriteFolded(w io.Writer, stacks []Stack) error {
	type line struct {
		stack string
		count int64
	}
	lines := make([]line, len(stacks))
	for i, s := range stacks {
		lines[i] = line{strings.Join(s.Frames, ";"), s.Count}
	}
	// By the stack alone, as stackcollapse-perf.pl sorts: the count after
	// a space would order "a 1" and "a !;b 1" the other way round.
	slices.SortFunc(lines, func(a, b line) int { return strings.Compare(a.stack, b.stack) })
	bw := bufio.NewWriter(w)
	var b []byte
	for _, l := range lines {
		b = append(b[:0], l.stack...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, l.count, 10)
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("writing folded stacks: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing folded stacks: %w", err)
	}
	return nil
}

// ReadFolded parses folded stacks, "frame;...;frame COUNT" a line, as
// stackcollapse scripts and WriteFolded write them. The count follows the
// last space, so frames may hold spaces; blank lines are skipped. It stops
// at the first malformed line with a *SyntaxError, and returns an error
// wrapping ErrEmpty when there is no stack.
func ReadFolded(r io.Reader) ([]Stack, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var stacks []Stack
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimRight(sc.Bytes(), " \t\r")
		if len(text) == 0 {
			continue
		}
		sp := bytes.LastIndexByte(text, ' ')
		if sp <= 0 {
			return nil, &SyntaxError{Line: line, Msg: `folded stack "frame;...;frame COUNT", found no count`}
		}
		count, ok := parseUint(text[sp+1:])
		if !ok || count > 1<<62 {
			return nil, &SyntaxError{Line: line, Msg: fmt.Sprintf("count after the last space, found %q", clip(text[sp+1:]))}
		}
		frames := strings.Split(string(text[:sp]), ";")
		stacks = append(stacks, Stack{Frames: frames, Count: int64(count)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading folded stacks: line %d: %w", line+1, err)
	}
	if len(stacks) == 0 {
		return nil, fmt.Errorf("%w: the folded input has no stacks; %s", ErrEmpty, emptyHint)
	}
	return stacks, nil
}
