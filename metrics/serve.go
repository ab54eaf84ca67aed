package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ListenAddr turns --metrics-addr into an address to listen on: a bare
// port (9464 or :9464) means loopback only, 127.0.0.1:9464, so a watch is
// never exposed to the network by accident; 0.0.0.0:9464 or [::]:9464 ask
// for every interface.
func ListenAddr(addr string) (string, error) {
	port := strings.TrimPrefix(addr, ":")
	if _, err := strconv.ParseUint(port, 10, 16); err == nil {
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--metrics-addr %q: want HOST:PORT or PORT, e.g. 127.0.0.1:9464", addr)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("--metrics-addr %q: %q is not a port number", addr, port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// Server serves one registry's /metrics.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Serve listens on addr (as ListenAddr returns it) and serves c on
// /metrics, in the background. Errors serving are sent to errs (which
// must not block) and never end the caller's work.
func Serve(addr string, c prometheus.Collector, errs func(error)) (*Server, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("registering the metrics: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serving metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: errorLogger(errs), ErrorHandling: promhttp.ContinueOnError,
		MaxRequestsInFlight: 4, Timeout: 10 * time.Second,
	}))
	s := &Server{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs(fmt.Errorf("serving metrics on %s: %w", ln.Addr(), err))
		}
	}()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, letting a scrape in flight finish for up to a
// second.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// errorLogger adapts errs to promhttp's logger.
type errorLogger func(error)

func (l errorLogger) Println(v ...any) { l(errors.New(strings.TrimSpace(fmt.Sprintln(v...)))) }
