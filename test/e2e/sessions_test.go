package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/coder/websocket"

	auditv1 "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	notificationv1 "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/meshtest"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/pkg/wsauth"
)

// Bounds of a sign-out, as documented in the README (Sessions and keys): a call with the
// session's access token is refused everywhere within authn.DefaultRevocationCache, an
// open socket is closed within that plus realtime's check interval (1 s). The waits below
// add room for a slow machine; the figures are logged.
const (
	signOutBound       = authn.DefaultRevocationCache
	socketSignOutBound = authn.DefaultRevocationCache + time.Second
	slack              = 2 * time.Second
)

// closeSessionEnded is the realtime protocol's close code for a signed-out session
// (proto/taskmesh/realtime/v1/realtime.proto).
const closeSessionEnded websocket.StatusCode = 4003

// TestSignOutEndsTheSessionEverywhere: after SignOut, the session's access token is
// refused (Unauthenticated) by api, audit and notification, its socket is closed (4003)
// and a new one refused; another session of the same user keeps working everywhere.
func TestSignOutEndsTheSessionEverywhere(t *testing.T) {
	m := meshtest.Start(t, meshtest.Apps(meshnames.API, meshnames.Audit, meshnames.Notification, meshnames.Realtime, meshnames.Web))
	ctx := context.Background()
	p := rpctest.Connect
	first := signUp(t, m.WebURL, false)
	me, err := first.auth.GetMe(ctx, connect.NewRequest(&authv1.GetMeRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	signIn := func() (*user, string) {
		resp, err := authv1connect.NewAuthServiceClient(p.HTTPClient(), m.WebURL, p.Options...).SignIn(ctx,
			connect.NewRequest(&authv1.SignInRequest{Email: me.Msg.GetUser().GetEmail(), Password: "correct horse battery"}))
		if err != nil {
			t.Fatalf("sign in: %v", err)
		}
		return asUser(m.WebURL, p, first.id, resp.Msg.GetSession().GetAccessToken()), resp.Msg.GetSession().GetRefreshToken()
	}
	ended, endedRefresh := signIn()
	kept, _ := signIn()

	// Every service answers both sessions (and caches that answer) before the sign-out.
	calls := map[string]func(u *user) error{
		"api GetMe": func(u *user) error {
			_, err := u.auth.GetMe(ctx, connect.NewRequest(&authv1.GetMeRequest{}))
			return err
		},
		"audit ListAuditEntries": func(u *user) error {
			_, err := u.audit.ListAuditEntries(ctx, connect.NewRequest(&auditv1.ListAuditEntriesRequest{}))
			return err
		},
		"notification ListNotifications": func(u *user) error {
			_, err := u.inbox.ListNotifications(ctx, connect.NewRequest(&notificationv1.ListNotificationsRequest{}))
			return err
		},
	}
	for name, call := range calls {
		for _, u := range []*user{ended, kept} {
			if err := call(u); err != nil {
				t.Fatalf("%s before the sign-out: %v", name, err)
			}
		}
	}
	endedSocket, _ := dialSocket(t, m.WebURL, ended, 0)
	keptSocket, _ := dialSocket(t, m.WebURL, kept, 0)

	if _, err := ended.auth.SignOut(ctx, connect.NewRequest(&authv1.SignOutRequest{RefreshToken: endedRefresh})); err != nil {
		t.Fatalf("SignOut: %v", err)
	}
	signedOut := time.Now()

	for name, call := range calls {
		var last error
		eventually(t, signOutBound+slack, name+" refusing the signed-out session", func() bool {
			last = call(ended)
			return connect.CodeOf(last) == connect.CodeUnauthenticated
		})
		t.Logf("%s: refused %s after SignOut returned (bound %s): %v", name, time.Since(signedOut).Round(time.Millisecond), signOutBound, last)
		if err := call(kept); err != nil {
			t.Fatalf("%s with the user's other session: %v", name, err)
		}
	}

	// The open socket of the ended session is closed; a new one is refused.
	st := closeStatusWithin(t, endedSocket, socketSignOutBound+slack)
	t.Logf("socket: closed %s after SignOut returned (bound %s)", time.Since(signedOut).Round(time.Millisecond), socketSignOutBound)
	if st != closeSessionEnded {
		t.Fatalf("the signed-out session's socket closed with %v; want %d (session ended)", st, closeSessionEnded)
	}
	wsURL := strings.Replace(m.WebURL, "http://", "ws://", 1) + "/ws"
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{Subprotocols: wsauth.Offer(ended.token)})
	if err == nil {
		c.CloseNow()
		t.Fatal("a new socket with the signed-out session's token was accepted")
	}
	if res == nil || res.StatusCode != 401 {
		t.Fatalf("new socket with the signed-out token: %v, %v; want HTTP 401", res, err)
	}

	// The other session's socket still gets the user's updates.
	created, err := kept.tasks.CreateTask(ctx, connect.NewRequest(&taskv1.CreateTaskRequest{Task: &taskv1.Task{Title: "still live"}}))
	if err != nil {
		t.Fatal(err)
	}
	if got := keptSocket.nextUpdate(5 * time.Second).GetUpdate().GetTask().GetId(); got != created.Msg.GetTask().GetId() {
		t.Fatalf("the other session's socket got task %s; want %s", got, created.Msg.GetTask().GetId())
	}
}

// closeStatusWithin reads s until the server closes it and returns the close status.
func closeStatusWithin(t testing.TB, s *socket, within time.Duration) websocket.StatusCode {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, err := s.next(time.Until(deadline))
		if err == nil {
			continue // an update or Ready: keep reading
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("socket still open %s after the sign-out", within)
		}
		return websocket.CloseStatus(err)
	}
}
