// Package metrics hands perfcap's figures to Prometheus, the system teams
// already run for numbers over time and alerting, and its CPU profiles to
// Pyroscope, instead of a server of perfcap's own. It has three parts:
//
//   - A running watch as a scrape target (perfcap watch --metrics-addr):
//     WatchExporter is a prometheus.Collector that reads the engine's
//     Status at each scrape and counts the tree's CPU from the samples it
//     is fed (Observe, the engine's OnSample hook); Serve puts it on
//     /metrics, loopback unless a host is named.
//   - A finished run pushed to a Pushgateway (perfcap push, perfcap run
//     --push): RunMetrics turns a bundle's summary.json and env.json into
//     gauges, and Push sends them, grouped by job and host so the next CI
//     run of the same job replaces them, with credentials from the
//     environment, a timeout and bounded retries.
//   - CPU profiles into Pyroscope (perfcap push --pyroscope, run
//     --pyroscope, watch --pyroscope): ReadProfiles lists a bundle's
//     perf/profile.pb.gz and perf/bench/NAME/profile.pb.gz, PrepareProfile
//     bounds and readies each, and UploadProfile posts it to /ingest with
//     the run's labels and time range; ProfileSender does so for a
//     watch's snapshots in the background.
//
// Pushes and uploads share one retry loop and one way of taking
// credentials from the environment (retry.go). The exposition format and
// the push protocol are client_golang's; nothing here writes them by hand.
package metrics
