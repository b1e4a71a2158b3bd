package rpctest

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/taskmesh/taskmesh/pkg/pgtest"
)

// The services that StartStandalone and WantRefusesBadSettings test verify access tokens
// signed by the api (AUTH_VERIFY_KEY[_FILE]), keep a PostgreSQL database (DATABASE_URL)
// and serve without a Dapr sidecar, consuming nothing: audit and notification.

// StartStandalone starts run as such a service without a sidecar, on a fresh, empty
// database (run must migrate it), verifying with the public half of a new key, on a free
// port. It fails the test unless run serves service (gRPC health) and logs that it has no
// Dapr sidecar. token is an access token of a new user, signed with the private half, as
// the api signs them. stop is StartRun's.
func StartStandalone(tb testing.TB, run Run, service string) (baseURL string, logs *LogBuffer, token string, stop func() error) {
	tb.Helper()
	dbURL := pgtest.NewDatabase(tb, nil)
	_, keyFile, issuer := KeyFiles(tb)
	baseURL, logs, stop = StartRun(tb, run, map[string]string{
		"DATABASE_URL": dbURL, "AUTH_VERIFY_KEY_FILE": keyFile, "ADDR": "127.0.0.1:0",
	})
	WantServing(tb, baseURL, service)
	if !strings.Contains(logs.String(), "no Dapr sidecar") {
		tb.Fatalf("running without a sidecar was not logged:\n%s", logs)
	}
	token, _, err := issuer.Issue(uuid.New())
	if err != nil {
		tb.Fatal(err)
	}
	return baseURL, logs, token, stop
}

// WantRefusesBadSettings fails the test unless run, a service as above, refuses to
// start without a verify key, with one that is not PEM, or with the api's private key
// (naming AUTH_VERIFY_KEY, before it touches the database), and accepts the public key,
// failing then on an unreachable database with an error naming it.
func WantRefusesBadSettings(t *testing.T, run Run) {
	t.Helper()
	privFile, pubFile, _ := KeyFiles(t)
	privPEM, err := os.ReadFile(privFile)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"nothing":               {env: map[string]string{}, want: "AUTH_VERIFY_KEY"},
		"no key":                {env: map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/x"}, want: "AUTH_VERIFY_KEY"},
		"a key that is not PEM": {env: map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/x", "AUTH_VERIFY_KEY": "secret"}, want: "AUTH_VERIFY_KEY"},
		// A service that only verifies must not hold the api's signing key.
		"the private signing key": {env: map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/x", "AUTH_VERIFY_KEY": string(privPEM)}, want: "AUTH_VERIFY_KEY: verify keys: this is a PRIVATE key"},
		"unreachable database":    {env: map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/x?connect_timeout=2", "AUTH_VERIFY_KEY": string(pubPEM)}, want: "127.0.0.1"},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), func(k string) string { return tc.env[k] }, &LogBuffer{}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run = %v; want an error naming %s", err, tc.want)
			}
		})
	}
}
