package metrics

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// senderQueue is how many snapshots may wait for their upload; a snapshot
// asked for behind a full queue is not uploaded (its bundle has it).
const senderQueue = 4

// ProfileSender uploads the CPU profile of each snapshot bundle of a watch
// to Pyroscope (perfcap watch --pyroscope), in the background and one at a
// time: Send never waits for the network, so a slow or absent server
// holds up neither the watch nor the watched process.
type ProfileSender struct {
	server string
	app    string
	labels map[string]string
	opts   PyroscopeOptions
	// Done is told how each snapshot's upload went: the profiles sent and
	// the first error. It runs on the sender's goroutine.
	done func(path string, sent int, err error)

	queue  chan sendReq
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool
}

type sendReq struct {
	path        string
	from, until time.Time
}

// NewProfileSender starts a sender of profiles to server, as application
// app with labels. done, when not nil, hears how each upload went.
func NewProfileSender(server, app string, labels map[string]string, opts PyroscopeOptions, done func(path string, sent int, err error)) *ProfileSender {
	s := &ProfileSender{server: server, app: app, labels: labels, opts: opts, done: done, queue: make(chan sendReq, senderQueue)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.loop()
	return s
}

// Send queues the upload of the CPU profiles of the bundle at path, taken
// from from to until. It returns at once; false means the queue is full
// (or the sender closed) and this snapshot is not uploaded.
func (s *ProfileSender) Send(path string, from, until time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	select {
	case s.queue <- sendReq{path: path, from: from, until: until}:
		return true
	default:
		return false
	}
}

// Close stops taking snapshots and waits up to wait for the queued
// uploads, then abandons what is left.
func (s *ProfileSender) Close(wait time.Duration) {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	drained := make(chan struct{})
	go func() { s.wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(wait):
		s.cancel()
		<-drained
	}
	s.cancel()
}

func (s *ProfileSender) loop() {
	defer s.wg.Done()
	for r := range s.queue {
		if s.ctx.Err() != nil {
			continue
		}
		sent, err := s.upload(r)
		if s.done != nil {
			s.done(r.path, sent, err)
		}
	}
}

// upload sends every CPU profile of one snapshot bundle.
func (s *ProfileSender) upload(r sendReq) (int, error) {
	profiles, warnings, err := ReadProfiles(r.path)
	if err != nil {
		return 0, err
	}
	if len(profiles) == 0 {
		if len(warnings) > 0 {
			return 0, fmt.Errorf("%s", warnings[0])
		}
		return 0, nil
	}
	sent := 0
	for _, p := range profiles {
		if p.Benchmark != "" {
			continue // a watch snapshot profiles no benchmark
		}
		u := Upload{App: s.app, Labels: s.labels, From: r.from, Until: r.until, Profile: p}
		if err := UploadProfile(s.ctx, s.server, u, s.opts); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}
