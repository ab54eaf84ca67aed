package capture

import (
	"strings"
	"testing"
	"time"

	"github.com/perfcap/perfcap/format"
)

func TestWarnings(t *testing.T) {
	r := &runner{interval: 100 * time.Millisecond}
	tests := []struct {
		name string
		s    format.Totals
		want string // "" means no warning
	}{
		{"quiet machine", format.Totals{OtherCPUPercent: 9.9, ExpectedSamples: 10, OnSchedule: 10}, ""},
		{"noisy machine", format.Totals{OtherCPUPercent: 25, ExpectedSamples: 10, OnSchedule: 10}, "other processes used 25%"},
		{"daemon left", format.Totals{LeftRunning: []int{42}, ExpectedSamples: 10, OnSchedule: 10}, "still running after the command exited (pids [42])"},
		{"interrupted", format.Totals{Interrupted: true, ExpectedSamples: 10, OnSchedule: 10}, "interrupted"},
		{"late samples", format.Totals{ExpectedSamples: 100, OnSchedule: 50}, "only 50 of 100 samples"},
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
