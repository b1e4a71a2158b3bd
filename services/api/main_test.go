package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/pkg/pgtest"
)

// syncBuffer is a log sink safe for the service's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesMigratesAndShutsDownGracefully(t *testing.T) {
	dbURL := pgtest.NewDatabase(t, nil) // empty: run must migrate it
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"DATABASE_URL": dbURL, "AUTH_SIGNING_KEY_FILE": keyFile, "ADDR": "127.0.0.1:0",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() { done <- run(ctx, func(k string) string { return env[k] }, logs, ready) }()

	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run ended before serving: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatal("not serving after 30 s")
	}
	base := "http://" + addr.String()

	health := grpchealth.NewClient(http.DefaultClient, base)
	if res, err := health.Check(ctx, &grpchealth.CheckRequest{Service: authv1connect.AuthServiceName}); err != nil || res.Status != grpchealth.StatusServing {
		t.Fatalf("health of AuthService = %v, %v; want serving", res, err)
	}
	auth := authv1connect.NewAuthServiceClient(http.DefaultClient, base)
	if _, err := auth.SignUp(ctx, connect.NewRequest(&authv1.SignUpRequest{Email: "run@example.com", Password: "long enough"})); err != nil {
		t.Fatalf("sign up against a freshly migrated database: %v", err)
	}
	if !strings.Contains(logs.String(), `"procedure":"/taskmesh.auth.v1.AuthService/SignUp"`) {
		t.Fatalf("the request was not logged:\n%s", logs)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}

func TestRunRefusesToStartWithoutItsSettings(t *testing.T) {
	err := run(context.Background(), func(string) string { return "" }, &syncBuffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("run with no settings = %v; want an error naming DATABASE_URL", err)
	}
}
