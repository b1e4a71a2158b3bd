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
	"github.com/google/uuid"

	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1/notificationv1connect"
	"github.com/taskmesh/taskmesh/pkg/authn"
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
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(pub)
	keyFile := filepath.Join(t.TempDir(), "verify.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"DATABASE_URL": dbURL, "AUTH_VERIFY_KEY_FILE": keyFile, "ADDR": "127.0.0.1:0",
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
	if res, err := health.Check(ctx, &grpchealth.CheckRequest{Service: notificationv1connect.NotificationServiceName}); err != nil || res.Status != grpchealth.StatusServing {
		t.Fatalf("health of NotificationService = %v, %v; want serving", res, err)
	}
	if !strings.Contains(logs.String(), "no Dapr sidecar") {
		t.Fatalf("running without a sidecar was not logged:\n%s", logs)
	}
	// A token signed by the api's key (the private half of the one run verifies with)
	// reads the freshly migrated, empty inbox.
	token, _, err := authn.NewIssuer(priv, authn.Config{Issuer: "taskmesh", Audience: "taskmesh"}).Issue(uuid.New())
	if err != nil {
		t.Fatal(err)
	}
	req := connect.NewRequest(&notificationv1.ListNotificationsRequest{})
	req.Header().Set("Authorization", "Bearer "+token)
	resp, err := notificationv1connect.NewNotificationServiceClient(http.DefaultClient, base).ListNotifications(ctx, req)
	if err != nil {
		t.Fatalf("list against a freshly migrated database: %v\n%s", err, logs)
	}
	if n := len(resp.Msg.GetNotifications()); n != 0 || resp.Msg.GetUnreadCount() != 0 {
		t.Fatalf("%d notifications, %d unread in a new database", n, resp.Msg.GetUnreadCount())
	}
	if !strings.Contains(logs.String(), `"procedure":"/taskmesh.notification.v1.NotificationService/ListNotifications"`) {
		t.Fatalf("the request was not logged:\n%s", logs)
	}
	// Without a token: Unauthenticated, not a crash of the standalone service.
	_, err = notificationv1connect.NewNotificationServiceClient(http.DefaultClient, base).
		MarkNotificationsRead(ctx, connect.NewRequest(&notificationv1.MarkNotificationsReadRequest{All: true}))
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("MarkNotificationsRead without a token: %v; want Unauthenticated", err)
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
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"nothing":               {env: map[string]string{}, want: "DATABASE_URL"},
		"no key":                {env: map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/x"}, want: "AUTH_VERIFY_KEY"},
		"a key that is not PEM": {env: map[string]string{"DATABASE_URL": "postgres://127.0.0.1:1/x", "AUTH_VERIFY_KEY": "secret"}, want: "AUTH_VERIFY_KEY"},
		// The api's private key is accepted: the error is then about the database.
		"unreachable database": {env: map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/x?connect_timeout=2", "AUTH_VERIFY_KEY": privPEM}, want: "127.0.0.1"},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), func(k string) string { return tc.env[k] }, &syncBuffer{}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run = %v; want an error naming %s", err, tc.want)
			}
		})
	}
}
