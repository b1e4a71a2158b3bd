// Package sidecar connects a service to its own Dapr sidecar: the gRPC API client
// (publish, state, secrets), Connect clients to other apps through it, and the secrets a
// service needs at start.
package sidecar

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	dapr "github.com/dapr/go-sdk/client"

	"github.com/taskmesh/taskmesh/pkg/meshclient"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// Sidecar is a connected Dapr sidecar.
type Sidecar struct {
	// Client is the Dapr gRPC API client.
	Client dapr.Client
	// Mesh reaches other apps through this sidecar.
	Mesh *meshclient.Mesh
	// Addr is the sidecar's gRPC address.
	Addr string
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
// wait for it to accept connections.
func Connect(ctx context.Context, getenv func(string) string, wait time.Duration) (*Sidecar, error) {
	addr := Addr(getenv)
	if addr == "" {
		return nil, ErrNotConfigured
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	// The SDK logs through the standard logger on connect; keep service logs JSON-only.
	c, err := dapr.NewClientWithAddressContext(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("connect to the Dapr sidecar at %s: %w", addr, err)
	}
	return &Sidecar{Client: c, Mesh: meshclient.New(addr), Addr: addr}, nil
}

// Close closes the API client.
func (s *Sidecar) Close() { s.Client.Close() }

// Secret returns the secret name from the mesh's secret store.
func (s *Sidecar) Secret(ctx context.Context, name string) (string, error) {
	m, err := s.Client.GetSecret(ctx, meshnames.SecretStore, name, nil)
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
