package rpctest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"connectrpc.com/grpchealth"
	"time"

	"github.com/taskmesh/taskmesh/pkg/authn"
)

// LogBuffer is a log sink safe for a service's goroutines. The zero value is empty and
// ready to use.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// KeyFiles makes a fresh Ed25519 key pair and writes it in tb.TempDir() as PEM files: the
// private key as PKCS#8 ("PRIVATE KEY", what the api signs with, AUTH_SIGNING_KEY_FILE)
// and the public key as PKIX ("PUBLIC KEY", what the other services verify with,
// AUTH_VERIFY_KEY_FILE). issuer signs access tokens with the private key, for the
// services' default issuer and audience ("taskmesh").
func KeyFiles(tb testing.TB) (privatePEMPath, publicPEMPath string, issuer *authn.Issuer) {
	tb.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		tb.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	privatePEMPath, publicPEMPath = filepath.Join(dir, "key.pem"), filepath.Join(dir, "verify.pem")
	for path, block := range map[string]*pem.Block{
		privatePEMPath: {Type: "PRIVATE KEY", Bytes: privDER},
		publicPEMPath:  {Type: "PUBLIC KEY", Bytes: pubDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return privatePEMPath, publicPEMPath, newIssuer(priv)
}

// Run is a service's main logic: it serves until ctx ends, reading its settings with
// getenv and logging to stdout, and sends its listening address on ready once it serves.
type Run func(ctx context.Context, getenv func(string) string, stdout io.Writer, ready chan<- net.Addr) error

// How long StartRun waits for run to serve, and stop for run to return.
const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 20 * time.Second
)

// StartRun starts run in a goroutine with the settings in env (others are empty) and
// logging to logs, and waits until it serves. It fails the test, with the logs, if run
// returns first or does not serve within 30 s. baseURL is "http://" and the address run
// listens on.
//
// stop cancels run's context and returns run's error; it fails the test if run does not
// return within 20 s. Call it from the test's goroutine; later calls return the same
// error. If the test ends without calling stop (it failed), run's context is cancelled
// and run is given 20 s to return, so that it is gone before earlier cleanups (the
// database) run.
func StartRun(tb testing.TB, run Run, env map[string]string) (baseURL string, logs *LogBuffer, stop func() error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	logs = &LogBuffer{}
	go func() { done <- run(ctx, func(k string) string { return env[k] }, logs, ready) }()

	var (
		waited   bool  // done was waited for (once is enough)
		returned bool  // run returned
		runErr   error // what it returned
	)
	wait := func() {
		if waited {
			return
		}
		waited = true
		select {
		case runErr = <-done:
			returned = true
		case <-time.After(stopTimeout):
		}
	}
	tb.Cleanup(func() {
		cancel()
		wait()
	})
	stop = func() error {
		tb.Helper()
		cancel()
		wait()
		if !returned {
			tb.Fatalf("run did not return within %s after its context ended\n%s", stopTimeout, logs)
		}
		return runErr
	}

	select {
	case addr := <-ready:
		return "http://" + addr.String(), logs, stop
	case err := <-done:
		waited, returned, runErr = true, true, err
		tb.Fatalf("run ended before serving: %v\n%s", err, logs)
	case <-time.After(readyTimeout):
		tb.Fatalf("not serving after %s\n%s", readyTimeout, logs)
	}
	return "", nil, nil // not reached: Fatalf ends the test
}

// WantServing fails the test unless gRPC health at baseURL reports service (""
// for the server as a whole) as serving.
func WantServing(tb testing.TB, baseURL, service string) {
	tb.Helper()
	res, err := grpchealth.NewClient(http.DefaultClient, baseURL).Check(context.Background(), &grpchealth.CheckRequest{Service: service})
	if err != nil || res.Status != grpchealth.StatusServing {
		tb.Fatalf("health of %q = %v, %v; want serving", service, res, err)
	}
}
