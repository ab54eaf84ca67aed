package capture

import (
	"strings"
	"testing"
	"time"
)

func TestWarnings(t *testing.T) {
	r := &runner{interval: 100 * time.Millisecond}
	tests := []struct {
		name string
		s    Summary
		want string // "" means no warning
	}{
		{"quiet machine", Summary{OtherCPUPercent: 9.9, ExpectedSamples: 10, OnSchedule: 10}, ""},
		{"noisy machine", Summary{OtherCPUPercent: 25, ExpectedSamples: 10, OnSchedule: 10}, "other processes used 25%"},
		{"daemon left", Summary{LeftRunning: []int{42}, ExpectedSamples: 10, OnSchedule: 10}, "still running after the command exited (pids [42])"},
		{"interrupted", Summary{Interrupted: true, ExpectedSamples: 10, OnSchedule: 10}, "interrupted"},
		{"late samples", Summary{ExpectedSamples: 100, OnSchedule: 50}, "only 50 of 100 samples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(r.warnings(&tt.s), "\n")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("warnings = %q, want %q", got, tt.want)
			}
		})
	}
}
