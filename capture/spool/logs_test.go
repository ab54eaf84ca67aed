package spool

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A stream much longer than head+tail: the spool keeps the head exactly,
// at least tail/2 bytes of the end exactly, and the marker counts the
// rest, whatever the write sizes.
func TestLogSpoolKeepsHeadAndTail(t *testing.T) {
	for _, tc := range []struct {
		name              string
		head, tail, total int
		write             int
		killed            bool // no Close: the watch was killed
	}{
		{"short", 1024, 4096, 3000, 100, false},
		{"long, small writes", 1024, 4096, 1 << 20, 100, false},
		{"long, big writes", 1024, 4096, 1 << 20, 10000, false},
		{"no head", 0, 4096, 50000, 333, false},
		{"no tail", 1024, 0, 50000, 333, false},
		{"killed", 1024, 4096, 1 << 20, 100, true},
		{"killed, big writes", 1024, 4096, 1 << 20, 10000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := Create(t.TempDir(), Meta{Mode: "command", Started: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			var all bytes.Buffer
			for i := 0; all.Len() < tc.total; i++ {
				fmt.Fprintf(&all, "line %d\n", i)
			}
			stream := all.Bytes()[:tc.total]
			l := w.Log("stdout", int64(tc.head), int64(tc.tail))
			for p := stream; len(p) > 0; {
				k := min(tc.write, len(p))
				if n, err := l.Write(p[:k]); n != k || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
				p = p[k:]
			}
			if !tc.killed {
				if err := l.Close(); err != nil || l.Err() != nil {
					t.Fatal(err, l.Err())
				}
			} else {
				defer l.Close()
			}
			c, ok, err := ReadLog(w.Dir(), "stdout")
			if err != nil || !ok {
				t.Fatalf("ReadLog: %v %v", ok, err)
			}
			var got bytes.Buffer
			if _, err := c.WriteTo(&got); err != nil {
				t.Fatal(err)
			}
			if tc.total <= tc.head+tc.tail/2 {
				if !bytes.Equal(got.Bytes(), stream) {
					t.Fatalf("a short stream changed:\n%q", got.String())
				}
				return
			}
			m := regexp.MustCompile(`\[perfcap: (\d+) bytes cut here; the log keeps the first (\d+) and the last (\d+) of (\d+) bytes\]\n`).FindSubmatchIndex(got.Bytes())
			if m == nil {
				t.Fatalf("no marker in %d bytes", got.Len())
			}
			num := func(i int) int { n, _ := strconv.Atoi(string(got.Bytes()[m[2*i]:m[2*i+1]])); return n }
			cut, head, tail, total := num(1), num(2), num(3), num(4)
			if total != tc.total || head != tc.head || cut+head+tail != total || tail < tc.tail/2 || tail > tc.tail {
				t.Errorf("marker cut %d head %d tail %d total %d; stream %d, head %d, tail %d", cut, head, tail, total, tc.total, tc.head, tc.tail)
			}
			if !bytes.Equal(got.Bytes()[:m[0]], stream[:head]) {
				t.Errorf("the head differs")
			}
			if !bytes.Equal(got.Bytes()[m[1]:], stream[len(stream)-tail:]) {
				t.Errorf("the tail differs")
			}
			if n, _ := filepath.Glob(filepath.Join(w.Dir(), "stdout.tail.*")); len(n) > 2 {
				t.Errorf("%d tail files kept, want at most 2", len(n))
			}
		})
	}
}

func TestReadLogWithoutStream(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := ReadLog(dir, "stderr"); ok || err != nil {
		t.Errorf("ReadLog of a stream never written: %v %v", ok, err)
	}
	// A tail file that is not a number is ignored, not misread.
	if err := os.WriteFile(filepath.Join(dir, "stderr.tail.x"), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ReadLog(dir, "stderr"); ok || err != nil {
		t.Errorf("ReadLog with a stray file: %v %v", ok, err)
	}
}

// ReadLogTail keeps exactly the last bytes asked for, and the marker
// counts every byte cut.
func TestReadLogTailKeepsExactly(t *testing.T) {
	dir := t.TempDir()
	l := NewLog(dir, "stdout", 10, 2*100)
	var all []byte
	for i := range 500 {
		line := []byte(fmt.Sprintf("%04d\n", i))
		all = append(all, line...)
		_, _ = l.Write(line)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	c, ok, err := ReadLogTail(dir, "stdout", 100)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	var b bytes.Buffer
	_, _ = c.WriteTo(&b)
	got := b.String()
	if !strings.HasPrefix(got, string(all[:10])) || !strings.HasSuffix(got, string(all[len(all)-100:])) {
		t.Errorf("head or tail wrong:\n%q", got)
	}
	if want := fmt.Sprintf("%d bytes cut", len(all)-110); !strings.Contains(got, want) {
		t.Errorf("no %q in %q", want, got)
	}
}
