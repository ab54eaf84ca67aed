package main

import (
	"crypto/sha256"
	"fmt"
	"sort"
)

type acc struct{ sum [32]byte }

func (a *acc) mix(n int) {
	for i := 0; i < n; i++ {
		a.sum = sha256.Sum256(a.sum[:])
	}
}

func sortWork(n int) int {
	s := make([]int, n)
	for i := range s {
		s[i] = (i * 7919) % n
	}
	sort.Ints(s)
	return s[n/2]
}

func main() {
	var a acc
	t := 0
	for r := 0; r < 30; r++ {
		a.mix(20000)
		t += sortWork(200000)
		func() { t += sortWork(10000) }()
	}
	fmt.Println(a.sum[0], t)
}
