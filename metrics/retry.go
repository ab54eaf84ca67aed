package metrics

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"
)

// ErrPushRejected means the server (a Pushgateway, or Pyroscope for a
// profile) answered with a status that retrying cannot change: bad
// credentials, a malformed push.
var ErrPushRejected = errors.New("metrics: push rejected")

// PushOptions bound a push to a Pushgateway or an upload to Pyroscope.
type PushOptions struct {
	// Timeout bounds each attempt (default 10 s); Attempts the attempts
	// (default 3), Backoff the wait before the second (default 1 s,
	// doubling).
	Timeout  time.Duration
	Attempts int
	Backoff  time.Duration
	// Getenv reads the credentials (default os.Getenv).
	Getenv func(string) string
	// Warn receives a line per failed attempt that is retried.
	Warn func(string)
	// Client sends the requests (default a client of its own, with the
	// system's certificate authorities for https).
	Client *http.Client
}

// withDefaults fills the zero fields of o.
func (o PushOptions) withDefaults() PushOptions {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	return o
}

// credentials names the environment variables that hold one server's
// credentials: basic auth (user and password) or a bearer token.
type credentials struct {
	user, password, token string
}

var (
	pushCredentials      = credentials{EnvPushUser, EnvPushPassword, EnvPushToken}
	pyroscopeCredentials = credentials{EnvPyroscopeUser, EnvPyroscopePassword, EnvPyroscopeToken}
)

// authorization returns the Authorization header the environment asks
// for, "" for none.
func (c credentials) authorization(getenv func(string) string) (string, error) {
	user, pass, token := getenv(c.user), getenv(c.password), getenv(c.token)
	switch {
	case token != "" && (user != "" || pass != ""):
		return "", fmt.Errorf("both %s and %s/%s are set: keep the one the server expects", c.token, c.user, c.password)
	case token != "":
		return "Bearer " + token, nil
	case user != "" || pass != "":
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)), nil
	}
	return "", nil
}

// hint is what a 401 or 403 tells the user to check.
func (c credentials) hint() string {
	return fmt.Sprintf("; check %s/%s or %s", c.user, c.password, c.token)
}

// checkURL refuses a server URL that is not http(s) or that carries
// credentials, which belong in the environment; the error shows the URL
// with its password masked. what names the server.
func checkURL(what, raw string, c credentials) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%s URL %q: %w", what, raw, err)
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		return fmt.Errorf("%s URL %q: want http://HOST:PORT or https://HOST:PORT", what, raw)
	case u.User != nil:
		return fmt.Errorf("%s URL %q carries credentials: put them in %s and %s (or %s) instead", what, u.Redacted(), c.user, c.password, c.token)
	}
	return nil
}

// attempt is one try of a request: the status the server answered with
// (0 when it did not answer) and the error, nil on success.
type attempt func(ctx context.Context) (status int, err error)

// retry runs try until it succeeds, at most opts.Attempts times, each
// bounded by opts.Timeout. Network errors, timeouts, 5xx and 429 are
// retried after a doubling backoff; other statuses fail at once with
// ErrPushRejected. what names the operation ("push", "upload") and target
// the server in messages.
func retry(ctx context.Context, what, target string, c credentials, opts PushOptions, try attempt) error {
	backoff := opts.Backoff
	for n := 1; ; n++ {
		actx, cancel := context.WithTimeout(ctx, opts.Timeout)
		status, err := try(actx)
		cancel()
		if err == nil {
			return nil
		}
		if status != 0 && status < 500 && status != http.StatusTooManyRequests {
			hint := ""
			if status == http.StatusUnauthorized || status == http.StatusForbidden {
				hint = c.hint()
			}
			return fmt.Errorf("%w: %v%s", ErrPushRejected, err, hint)
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("no answer within %v: %w", opts.Timeout, err)
		}
		if n >= opts.Attempts || ctx.Err() != nil {
			return fmt.Errorf("%s to %s failed %d times, last: %w", what, target, n, err)
		}
		if opts.Warn != nil {
			opts.Warn(fmt.Sprintf("%s attempt %d of %d failed: %v; retrying in %v", what, n, opts.Attempts, err, backoff))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s to %s: %w", what, target, ctx.Err())
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}
