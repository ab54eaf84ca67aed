package metrics

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/perfcap/perfcap/bundle"
)

// The CPU profiles of a bundle that perfcap push --pyroscope uploads: the
// whole run's, and one per benchmark when the bundle has them.
const (
	RunProfileFile  = "perf/profile.pb.gz"
	benchProfileDir = "perf/bench/"
	profileBase     = "profile.pb.gz"
)

// Bounds on a profile read from a bundle: its gzipped size, and its size
// unpacked, which the protobuf decoder holds in memory several times over.
const (
	maxProfileFile     = 64 << 20
	maxProfileUnpacked = 64 << 20
)

// ErrNotCPUProfile means a file is not a pprof CPU profile Pyroscope can
// take: it does not parse, is too large, or has no samples/count values.
var ErrNotCPUProfile = errors.New("metrics: not a CPU profile")

// CPUProfile is one CPU profile of a bundle, ready for Pyroscope.
type CPUProfile struct {
	// File is its path in the bundle; Benchmark the benchmark it
	// profiles, "" for the whole run's.
	File, Benchmark string
	// Data is the profile as uploaded: gzipped pprof, with the per-sample
	// labels (comm, pid, tid) left out, so that Pyroscope files all of it
	// under the upload's labels instead of one series per thread name.
	Data []byte
	// Samples is the sum of its samples/count values, what Pyroscope
	// shows as the profile's total; SampleRate its sampling frequency in
	// Hz, 0 when the profile does not say.
	Samples    int64
	SampleRate int64
	// DurationNanos is how long the recording ran, from the profile.
	DurationNanos int64
}

// PrepareProfile reads a pprof CPU profile (gzipped or not) as perfcap
// writes it and makes it ready for Pyroscope. It refuses, with
// ErrNotCPUProfile, data that unpacks to more than 64 MiB, does not parse,
// or has no "samples" sample type (the one Pyroscope files as .cpu).
func PrepareProfile(data []byte) (*CPUProfile, error) {
	raw := data
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNotCPUProfile, err)
		}
		raw, err = io.ReadAll(io.LimitReader(zr, maxProfileUnpacked+1))
		if err != nil {
			return nil, fmt.Errorf("%w: unpacking: %v", ErrNotCPUProfile, err)
		}
	}
	if len(raw) > maxProfileUnpacked {
		return nil, fmt.Errorf("%w: larger than %d MiB unpacked", ErrNotCPUProfile, maxProfileUnpacked>>20)
	}
	p, err := profile.ParseUncompressed(raw)
	if err == nil {
		err = p.CheckValid()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotCPUProfile, err)
	}
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "samples" {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("%w: no samples/count values (sample types %s)", ErrNotCPUProfile, sampleTypes(p))
	}
	cp := &CPUProfile{DurationNanos: max(p.DurationNanos, 0)}
	for _, s := range p.Sample {
		if v := s.Value[idx]; v > 0 {
			cp.Samples += v
		}
		s.Label, s.NumLabel, s.NumUnit = nil, nil, nil
	}
	if p.PeriodType != nil && p.PeriodType.Unit == "nanoseconds" && p.Period > 0 {
		cp.SampleRate = 1e9 / p.Period
	}
	var out bytes.Buffer
	if err := p.Write(&out); err != nil {
		return nil, fmt.Errorf("%w: writing it again: %v", ErrNotCPUProfile, err)
	}
	cp.Data = out.Bytes()
	return cp, nil
}

// sampleTypes lists p's sample types as type/unit words.
func sampleTypes(p *profile.Profile) string {
	var b strings.Builder
	for i, st := range p.SampleType {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(st.Type + "/" + st.Unit)
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// profileBenchmark tells whether name is a CPU profile file of a bundle:
// ok for perf/profile.pb.gz (bench "") and perf/bench/NAME/profile.pb.gz
// (bench NAME).
func profileBenchmark(name string) (bench string, ok bool) {
	if name == RunProfileFile {
		return "", true
	}
	rest, ok := strings.CutPrefix(name, benchProfileDir)
	if !ok {
		return "", false
	}
	bench, file, ok := strings.Cut(rest, "/")
	return bench, ok && bench != "" && file == profileBase
}

// ReadProfiles reads the CPU profiles of the bundle at path, found by
// listing it: perf/profile.pb.gz and perf/bench/NAME/profile.pb.gz. A
// profile that cannot be used (too large, not a CPU profile) is left out
// with a warning; a bundle that cannot be read is an error.
func ReadProfiles(bundlePath string) (profiles []*CPUProfile, warnings []string, err error) {
	err = bundle.Walk(bundlePath, func(f bundle.File, r io.Reader) error {
		bench, ok := profileBenchmark(f.Path)
		if !ok {
			return nil
		}
		if f.Size > maxProfileFile {
			warnings = append(warnings, fmt.Sprintf("%s: %d MiB, larger than the %d MiB perfcap uploads; it is left out", f.Path, f.Size>>20, maxProfileFile>>20))
			return nil
		}
		data, err := io.ReadAll(io.LimitReader(r, maxProfileFile+1))
		if err != nil {
			return err
		}
		p, perr := PrepareProfile(data)
		if perr != nil {
			warnings = append(warnings, fmt.Sprintf("%s: %v; it is left out", f.Path, perr))
			return nil
		}
		p.File, p.Benchmark = f.Path, bench
		profiles = append(profiles, p)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return profiles, warnings, nil
}
