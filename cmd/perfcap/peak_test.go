package main

import (
	"testing"
)

// A process that peaks between two samples still bounds the tree's peak
// from below: the tree held at least that much then (issue #10, item 6).
func TestTreePeakIsNeverBelowTheLargestProcess(t *testing.T) {
	r := perfcap(t, "-q", "--no-perf", "--interval", "2s", "--", "sh", "-c", workloadBin+" alloc 60MiB; sleep 0.3")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	s := summaryOf(t, r.bundle)
	if s.MaxProcessRSSBytes < 50*mib {
		t.Skipf("the short process was not measured (largest %d bytes); nothing to check", s.MaxProcessRSSBytes)
	}
	if s.PeakRSSBytes < s.MaxProcessRSSBytes {
		t.Errorf("tree peak %d < largest process %d", s.PeakRSSBytes, s.MaxProcessRSSBytes)
	}
	if s.PeakRSSSource != "largest process" {
		t.Errorf("peak_rss_source %q, want largest process (the samples missed the child)", s.PeakRSSSource)
	}
}
