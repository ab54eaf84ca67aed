// Command goprog burns CPU in a function with an inlined helper, for the
// inline reader's tests. With -delete it first deletes its own executable,
// as `go test` deletes a test binary before perf script can read it; the
// tests read the stacks from the file they kept open.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// mix is small enough for Go to inline into checksum, and does most of
// its work.
func mix(h, v uint64) uint64 {
	h ^= v
	h *= 1099511628211
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

//go:noinline
func checksum(n int) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < n; i++ {
		h = mix(h, uint64(i))
	}
	return h
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "-delete" {
		if err := os.Remove(os.Args[0]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		args = args[1:]
	}
	d := 500 * time.Millisecond
	if len(args) > 0 {
		if ms, err := strconv.Atoi(args[0]); err == nil {
			d = time.Duration(ms) * time.Millisecond
		}
	}
	var h uint64
	for end := time.Now().Add(d); time.Now().Before(end); {
		h += checksum(1 << 16)
	}
	fmt.Println(h)
}
