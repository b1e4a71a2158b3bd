package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"

	realtimev1 "github.com/taskmesh/taskmesh/gen/taskmesh/realtime/v1"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/pkg/wsauth"
)

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
	_, keyFile, issuer := rpctest.KeyFiles(t)
	start := time.Now()
	base, logs, stop := rpctest.StartRun(t, run, map[string]string{"AUTH_VERIFY_KEY_FILE": keyFile, "ADDR": "127.0.0.1:0"})
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("serving only after %s; want within 10 s", d)
	}
	ctx := context.Background()

	rpctest.WantServing(t, base, "")

	user := uuid.New()
	token, _, err := issuer.Issue(user)
	if err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
	defer dcancel()
	c, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(base, "http")+"/ws?since=4",
		&websocket.DialOptions{Subprotocols: wsauth.Offer(token)})
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

	// Shutting down closes the socket going away; read it while run shuts down, as a
	// client would.
	closed := make(chan error, 1)
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer rcancel()
	go func() {
		_, _, err := c.Read(rctx)
		closed <- err
	}()
	if err := stop(); err != nil {
		t.Fatalf("run after shutdown: %v", err)
	}
	if err := <-closed; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("socket ended with %v; want close 1001 going away", err)
	}
	if strings.Contains(logs.String(), token) {
		t.Fatal("the access token was logged")
	}
}

func TestRunRefusesToStartWithoutAVerifyKey(t *testing.T) {
	err := run(context.Background(), func(string) string { return "" }, &rpctest.LogBuffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), "AUTH_VERIFY_KEY") {
		t.Fatalf("run with no settings = %v; want an error naming AUTH_VERIFY_KEY", err)
	}
}
