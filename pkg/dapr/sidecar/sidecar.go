// Package sidecar is the app calling out to its own Dapr sidecar's API: it connects (the
// environment names the sidecar), reads secrets and settings, and hands out what speaks
// through the connection: a publish.Publisher, state stores (package state), and an
// invoke.Mesh for calls to other apps.
//
// The go-sdk logs through a standard-library logger of its own, on stdout, in plain text
// ("dapr client initializing for: ..."). Connect routes it through the service's zerolog
// logger, so that every line a service writes stays JSON.
package sidecar

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	dapr "github.com/dapr/go-sdk/client"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/pkg/dapr/invoke"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish"
	"github.com/taskmesh/taskmesh/pkg/dapr/state"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// Sidecar is a connected Dapr sidecar.
type Sidecar struct {
	// Mesh reaches other apps through this sidecar.
	Mesh *invoke.Mesh
	// Addr is the sidecar's gRPC address.
	Addr string

	client dapr.Client
}

// ErrNotConfigured is returned by Connect when neither DAPR_GRPC_ENDPOINT nor
// DAPR_GRPC_PORT is set.
var ErrNotConfigured = errors.New("no Dapr sidecar configured: set DAPR_GRPC_PORT (or DAPR_GRPC_ENDPOINT)")

// Addr returns the sidecar's gRPC address from DAPR_GRPC_ENDPOINT (host:port, with or
// without http://) or DAPR_GRPC_PORT (on 127.0.0.1), or "".
func Addr(getenv func(string) string) string {
	if ep := getenv("DAPR_GRPC_ENDPOINT"); ep != "" {
		return strings.TrimPrefix(strings.TrimPrefix(ep, "http://"), "dns:///")
	}
	if port := getenv("DAPR_GRPC_PORT"); port != "" {
		return "127.0.0.1:" + port
	}
	return ""
}

// Connect connects to the sidecar named by the environment (see Addr), waiting up to
// wait for it to accept connections. The go-sdk's own log lines go to log from then on.
func Connect(ctx context.Context, getenv func(string) string, wait time.Duration, log zerolog.Logger) (*Sidecar, error) {
	addr := Addr(getenv)
	if addr == "" {
		return nil, ErrNotConfigured
	}
	routeSDKLog(log)
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	c, err := dapr.NewClientWithAddressContext(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("connect to the Dapr sidecar at %s: %w", addr, err)
	}
	return &Sidecar{client: c, Mesh: invoke.New(addr), Addr: addr}, nil
}

// sdkLog is where the go-sdk's logger writes. The SDK's logger is a package variable, so
// it is set once (before the first client is made, which orders it before every read) to
// a writer that forwards to the logger of the latest Connect: in a service that is its
// one logger; in a test process running several services, SDK lines may carry another
// service's name.
var sdkLog struct {
	once sync.Once
	to   atomic.Pointer[zerolog.Logger]
}

func routeSDKLog(log zerolog.Logger) {
	log = log.With().Str("component", "dapr-sdk").Logger()
	sdkLog.to.Store(&log)
	sdkLog.once.Do(func() { dapr.SetLogger(stdlog.New(sdkWriter{}, "", 0)) })
}

// sdkWriter turns each line the SDK's standard logger writes into one zerolog event.
type sdkWriter struct{}

func (sdkWriter) Write(p []byte) (int, error) {
	if l := sdkLog.to.Load(); l != nil {
		l.Info().Msg(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// Close closes the API client.
func (s *Sidecar) Close() { s.client.Close() }

// Publisher publishes through this sidecar.
func (s *Sidecar) Publisher() publish.Publisher { return publish.Sidecar{Client: s.client} }

// StateStore is the state store component name, through this sidecar.
func (s *Sidecar) StateStore(name string) *state.Store { return state.New(s.client, name) }

// Secret returns the secret name from the mesh's secret store.
func (s *Sidecar) Secret(ctx context.Context, name string) (string, error) {
	m, err := s.client.GetSecret(ctx, meshnames.SecretStore, name, nil)
	if err != nil {
		return "", fmt.Errorf("read secret %q from %s: %w", name, meshnames.SecretStore, err)
	}
	v, ok := m[name]
	if !ok || v == "" {
		return "", fmt.Errorf("secret %q is empty in %s", name, meshnames.SecretStore)
	}
	return v, nil
}

// Setting returns a setting from, in order: the environment variable env, the file named
// by env+"_FILE", or the secret store's secret (when sc is not nil).
func Setting(ctx context.Context, getenv func(string) string, sc *Sidecar, env, secret string) (string, error) {
	if v := getenv(env); v != "" {
		return v, nil
	}
	if path := getenv(env + "_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", env, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if sc != nil {
		return sc.Secret(ctx, secret)
	}
	return "", fmt.Errorf("%s is not set (nor %s_FILE), and there is no Dapr sidecar to read secret %q from", env, env, secret)
}
