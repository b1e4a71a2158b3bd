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

	"connectrpc.com/grpchealth"
	"github.com/coder/websocket"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"

	realtimev1 "github.com/taskmesh/taskmesh/gen/taskmesh/realtime/v1"
	"github.com/taskmesh/taskmesh/pkg/authn"
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

func readFrame(t *testing.T, c *websocket.Conn) *realtimev1.ServerFrame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	var f realtimev1.ServerFrame
	if err := protojson.Unmarshal(data, &f); err != nil {
		t.Fatalf("frame %q: %v", data, err)
	}
	return &f
}

func TestRunServesSocketsAndClosesThemGoingAwayOnShutdown(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(priv.Public())
	keyFile := filepath.Join(t.TempDir(), "verify.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AUTH_VERIFY_KEY_FILE": keyFile, "ADDR": "127.0.0.1:0"}
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
	case <-time.After(10 * time.Second):
		t.Fatal("not serving after 10 s")
	}

	health := grpchealth.NewClient(http.DefaultClient, "http://"+addr.String())
	if res, err := health.Check(ctx, &grpchealth.CheckRequest{}); err != nil || res.Status != grpchealth.StatusServing {
		t.Fatalf("health = %v, %v; want serving", res, err)
	}

	user := uuid.New()
	token, _, err := authn.NewIssuer(priv, authn.Config{Issuer: "taskmesh", Audience: "taskmesh"}).Issue(user)
	if err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
	defer dcancel()
	c, _, err := websocket.Dial(dctx, "ws://"+addr.String()+"/ws?since=4&access_token="+token, nil)
	if err != nil {
		t.Fatalf("dial: %v\n%s", err, logs)
	}
	defer c.CloseNow()
	if r := readFrame(t, c).GetReady(); r.GetUserId() != user.String() {
		t.Fatalf("Ready %v; want user %s", r, user)
	}
	// Without a sidecar the latest change is unknown: the client is told to sync.
	if s := readFrame(t, c).GetSyncRequired(); s.GetSinceChangeSeq() != 4 {
		t.Fatalf("SyncRequired %v; want since 4", s)
	}

	cancel()
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer rcancel()
	if _, _, err := c.Read(rctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("socket ended with %v; want close 1001 going away", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	if strings.Contains(logs.String(), token) {
		t.Fatal("the access token was logged")
	}
}

func TestRunRefusesToStartWithoutAVerifyKey(t *testing.T) {
	err := run(context.Background(), func(string) string { return "" }, &syncBuffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), "AUTH_VERIFY_KEY") {
		t.Fatalf("run with no settings = %v; want an error naming AUTH_VERIFY_KEY", err)
	}
}
