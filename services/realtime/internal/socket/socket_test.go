package socket

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	realtimev1 "github.com/taskmesh/taskmesh/gen/taskmesh/realtime/v1"
	taskv1 "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/dapr/appcallback"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish/publishtest"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/pkg/wsauth"
)

// fixedSeqs answers every look-up with seq, or err.
type fixedSeqs struct {
	seq int64
	err error
}

func (f fixedSeqs) LatestChangeSeq(context.Context, uuid.UUID) (int64, error) { return f.seq, f.err }

type testEnv struct {
	t       *testing.T
	hub     *Hub
	handler *Handler
	app     *appcallback.App
	pub     *publishtest.Recorder
	issuer  *authn.Issuer
	priv    ed25519.PrivateKey
	revs    *revocationStore
	wsURL   string
}

// revocationStore is an in-memory revocation list that can be taken down.
type revocationStore struct {
	*authn.MemoryRevocations
	down     atomic.Bool
	refusals atomic.Int64 // reads refused while down
}

func (r *revocationStore) Revoked(ctx context.Context, id uuid.UUID) (bool, error) {
	if r.down.Load() {
		r.refusals.Add(1)
		return false, errors.New("state store unreachable")
	}
	return r.MemoryRevocations.Revoked(ctx, id)
}

var tokenCfg = authn.Config{Issuer: "taskmesh", Audience: "taskmesh"}

func newEnv(t *testing.T, seqs ChangeSeqs, hubCfg HubConfig, cfg HandlerConfig) *testEnv {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	revs := &revocationStore{MemoryRevocations: authn.NewMemoryRevocations()}
	cfgWithList := tokenCfg
	cfgWithList.Revocations = authn.NewRevocations(revs, 0)
	issuer := authn.NewIssuer(priv, cfgWithList)
	log := zerolog.New(zerolog.NewTestWriter(t))
	hub := NewHub(log, hubCfg)
	pub := &publishtest.Recorder{}
	app := appcallback.New(log, pub, nil)
	hub.Subscribe(app)
	h := NewHandler(log, hub, issuer.Verifier, seqs, cfg)
	mux := http.NewServeMux()
	mux.Handle("GET /ws", h)
	base := rpctest.NewServer(t, mux)
	t.Cleanup(func() { // before the server closes (cleanups run last first)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &testEnv{t: t, hub: hub, handler: h, app: app, pub: pub, issuer: issuer, priv: priv, revs: revs,
		wsURL: "ws" + strings.TrimPrefix(base, "http") + "/ws"}
}

func (e *testEnv) token(userID uuid.UUID) string {
	e.t.Helper()
	tok, _, err := e.issuer.Issue(userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// dialURL returns the socket URL with the given query parameters.
func (e *testEnv) dialURL(params ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	return e.wsURL + "?" + q.Encode()
}

// offer returns dial options that offer token as a browser does (wsauth.Offer).
func offer(token string) *websocket.DialOptions {
	return &websocket.DialOptions{Subprotocols: wsauth.Offer(token)}
}

// dial opens a socket for userID and reads its Ready frame.
func (e *testEnv) dial(userID uuid.UUID, params ...string) *websocket.Conn {
	e.t.Helper()
	c := e.dialRaw(e.dialURL(params...), offer(e.token(userID)))
	if got := readFrame(e.t, c).GetReady(); got.GetUserId() != userID.String() {
		e.t.Fatalf("first frame: Ready for %q, want Ready for %s", got.GetUserId(), userID)
	}
	return c
}

func (e *testEnv) dialRaw(u string, opts *websocket.DialOptions) *websocket.Conn {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, u, opts)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	c.SetReadLimit(4 << 20)
	e.t.Cleanup(func() { c.CloseNow() })
	return c
}

// deliver sends ev to the App as daprd would, and returns what daprd is told.
func (e *testEnv) deliver(id string, data []byte) appcallback.Outcome {
	e.t.Helper()
	return e.app.Deliver(context.Background(), appcallback.Event{
		ID: id, PubSub: meshnames.BroadcastPubSub, Topic: meshnames.TaskUpdates,
		ContentType: "application/json", Data: data,
	})
}

// publish delivers a task update for userID through the App and requires SUCCESS.
func (e *testEnv) publish(userID uuid.UUID, seq int64, description string) {
	e.t.Helper()
	ev := taskUpdate(userID, seq, description)
	data, err := protojson.Marshal(ev)
	if err != nil {
		e.t.Fatal(err)
	}
	if st := e.deliver(ev.GetEventId(), data); st != appcallback.Success {
		e.t.Fatalf("delivery of update %d: status %v, want SUCCESS", seq, st)
	}
}

func taskUpdate(userID uuid.UUID, seq int64, description string) *eventsv1.TaskUpdateEvent {
	return &eventsv1.TaskUpdateEvent{
		EventId: uuid.NewString(), UserId: userID.String(),
		Kind:      eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_TASK_UPSERTED,
		Payload:   &eventsv1.TaskUpdateEvent_Task{Task: &taskv1.Task{Id: uuid.NewString(), Title: "t" + strconv.FormatInt(seq, 10), Description: description}},
		ChangeSeq: seq,
	}
}

func readFrame(t *testing.T, c *websocket.Conn) *realtimev1.ServerFrame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	typ, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("frame type %v, want text", typ)
	}
	var f realtimev1.ServerFrame
	if err := protojson.Unmarshal(data, &f); err != nil {
		t.Fatalf("frame %q is not a protojson ServerFrame: %v", data, err)
	}
	return &f
}

func wantUpdate(t *testing.T, c *websocket.Conn, seq int64) {
	t.Helper()
	f := readFrame(t, c)
	if got := f.GetUpdate(); got == nil || got.GetChangeSeq() != seq {
		t.Fatalf("frame %v; want the update with change_seq %d", f, seq)
	}
}

// closeStatus reads until the socket ends and returns its close status (-1: no close
// frame), or ok false when it is still open after within.
func closeStatus(c *websocket.Conn, within time.Duration) (status websocket.StatusCode, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			if ctx.Err() != nil {
				return 0, false
			}
			return websocket.CloseStatus(err), true
		}
	}
}

func readClose(t *testing.T, c *websocket.Conn, within time.Duration) websocket.StatusCode {
	t.Helper()
	st, ok := closeStatus(c, within)
	if !ok {
		t.Fatalf("socket still open after %v", within)
	}
	return st
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHandshakeRefusesBadTokensBeforeUpgrading(t *testing.T) {
	e := newEnv(t, fixedSeqs{}, HubConfig{}, HandlerConfig{})
	user := uuid.New()
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	foreign, _, _ := authn.NewIssuer(otherKey, tokenCfg).Issue(user)
	expiredTok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": "taskmesh", "aud": "taskmesh", "sub": user.String(), "sid": uuid.NewString(),
		"iat": time.Now().Add(-time.Hour).Unix(), "exp": time.Now().Add(-time.Minute).Unix(),
	})
	expiredTok.Header["kid"] = e.issuer.KeyID()
	expired, err := expiredTok.SignedString(e.priv)
	if err != nil {
		t.Fatal(err)
	}
	ended := uuid.New()
	signedOut, _, err := e.issuer.IssueSession(user, ended)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.issuer.EndSession(context.Background(), ended); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		url    string
		offer  []string // subprotocols
		header string
		status int
	}{
		{"no token", e.dialURL(), nil, "", http.StatusUnauthorized},
		{"app protocol but no token", e.dialURL(), []string{wsauth.Protocol}, "", http.StatusUnauthorized},
		{"malformed token", e.dialURL(), wsauth.Offer("not-a-jwt"), "", http.StatusUnauthorized},
		{"token signed by another key", e.dialURL(), wsauth.Offer(foreign), "", http.StatusUnauthorized},
		{"expired token", e.dialURL(), wsauth.Offer(expired), "", http.StatusUnauthorized},
		{"expired bearer header", e.dialURL(), nil, "Bearer " + expired, http.StatusUnauthorized},
		{"token of a signed-out session", e.dialURL(), wsauth.Offer(signedOut), "", http.StatusUnauthorized},
		// Where proxies log it: refused even when valid, so a leaking client is noticed.
		{"valid token in the URL", e.dialURL("access_token", e.token(user)), nil, "", http.StatusBadRequest},
		{"valid token in the URL and offered", e.dialURL("access_token", e.token(user)), wsauth.Offer(e.token(user)), "", http.StatusBadRequest},
		{"token offered without the app protocol", e.dialURL(), []string{wsauth.TokenPrefix + e.token(user)}, "", http.StatusBadRequest},
		{"two tokens offered", e.dialURL(), append(wsauth.Offer(e.token(user)), wsauth.TokenPrefix+foreign), "", http.StatusBadRequest},
		{"negative since", e.dialURL("since", "-1"), wsauth.Offer(e.token(user)), "", http.StatusBadRequest},
		{"since not a number", e.dialURL("since", "x"), wsauth.Offer(e.token(user)), "", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("Authorization", tc.header)
			}
			c, res, err := websocket.Dial(context.Background(), tc.url, &websocket.DialOptions{HTTPHeader: h, Subprotocols: tc.offer})
			if err == nil {
				c.CloseNow()
				t.Fatal("the socket was upgraded")
			}
			if res == nil || res.StatusCode != tc.status {
				t.Fatalf("handshake answered %v (%v); want HTTP %d", res, err, tc.status)
			}
			if tc.status == http.StatusUnauthorized && res.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if n := e.hub.conns(user); n != 0 {
				t.Errorf("hub holds %d sockets of the user after a refused handshake", n)
			}
		})
	}
}

func TestHandshakeAcceptsTokenInSubprotocolOrHeader(t *testing.T) {
	e := newEnv(t, fixedSeqs{seq: 0}, HubConfig{}, HandlerConfig{})
	user := uuid.New()
	t.Run("subprotocol", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		token := e.token(user)
		c, res, err := websocket.Dial(ctx, e.dialURL(), offer(token))
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		t.Cleanup(func() { c.CloseNow() })
		// The answer names the app's protocol and never echoes the token.
		if got := res.Header.Values("Sec-WebSocket-Protocol"); len(got) != 1 || got[0] != wsauth.Protocol {
			t.Fatalf("Sec-WebSocket-Protocol answered %q; want only %q", got, wsauth.Protocol)
		}
		for name, v := range res.Header {
			if strings.Contains(strings.Join(v, " "), token) {
				t.Fatalf("the handshake's answer carries the token in %s", name)
			}
		}
		if got := readFrame(t, c).GetReady(); got.GetUserId() != user.String() {
			t.Fatalf("Ready for %q, want %s", got.GetUserId(), user)
		}
		e.publish(user, 1, "") // next frame is the update: no SyncRequired for a current client
		wantUpdate(t, c, 1)
	})
	t.Run("header", func(t *testing.T) {
		h := http.Header{"Authorization": {"Bearer " + e.token(user)}}
		c := e.dialRaw(e.dialURL(), &websocket.DialOptions{HTTPHeader: h})
		if got := readFrame(t, c).GetReady(); got.GetUserId() != user.String() {
			t.Fatalf("Ready for %q, want %s", got.GetUserId(), user)
		}
	})
}

func TestUpdatesReachOnlyTheirUsersSockets(t *testing.T) {
	e := newEnv(t, fixedSeqs{}, HubConfig{}, HandlerConfig{})
	userA, userB := uuid.New(), uuid.New()
	a1, a2 := e.dial(userA), e.dial(userA)
	b := e.dial(userB)

	e.publish(userA, 7, "for A")
	for _, c := range []*websocket.Conn{a1, a2} {
		f := readFrame(t, c)
		upd := f.GetUpdate()
		if upd.GetChangeSeq() != 7 || upd.GetUserId() != userA.String() || upd.GetTask().GetDescription() != "for A" {
			t.Fatalf("A's socket got %v; want A's update 7", f)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, data, err := b.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("B's socket read %q, %v; want nothing", data, err)
	}
}

func TestPoisonEventsAreDeadLettered(t *testing.T) {
	e := newEnv(t, fixedSeqs{}, HubConfig{}, HandlerConfig{})
	noUser, _ := protojson.Marshal(taskUpdate(uuid.Nil, 1, ""))
	noUser = []byte(strings.Replace(string(noUser), uuid.Nil.String(), "not-a-uuid", 1))
	for i, data := range [][]byte{[]byte("{not json"), noUser} {
		if st := e.deliver("ev-"+strconv.Itoa(i), data); st != appcallback.Success {
			t.Fatalf("poison %q: status %v, want SUCCESS (after dead-lettering)", data, st)
		}
		calls := e.pub.Messages()
		if len(calls) != i+1 {
			t.Fatalf("poison %q: %d dead letters, want %d", data, len(calls), i+1)
		}
		got := calls[i]
		if got.PubSub != meshnames.BroadcastPubSub || got.Topic != meshnames.DeadLetter(meshnames.TaskUpdates) || string(got.Data) != string(data) {
			t.Fatalf("dead letter %s/%s %q; want %s/%s with the event's data", got.PubSub, got.Topic, got.Data,
				meshnames.BroadcastPubSub, meshnames.DeadLetter(meshnames.TaskUpdates))
		}
	}
}

func TestResumeTellsTheClientWhenItMissedChanges(t *testing.T) {
	user := uuid.New()
	for _, tc := range []struct {
		name  string
		seqs  ChangeSeqs
		since string
		ready int64
		sync  *realtimev1.SyncRequired // nil: none
	}{
		{"behind", fixedSeqs{seq: 5}, "3", 5, &realtimev1.SyncRequired{SinceChangeSeq: 3, LatestChangeSeq: 5}},
		{"current", fixedSeqs{seq: 5}, "5", 5, nil},
		{"fresh client, user has changes", fixedSeqs{seq: 5}, "", 5, &realtimev1.SyncRequired{SinceChangeSeq: 0, LatestChangeSeq: 5}},
		{"fresh client, no changes yet", fixedSeqs{seq: 0}, "", 0, nil},
		{"ahead of the server", fixedSeqs{seq: 5}, "9", 5, &realtimev1.SyncRequired{SinceChangeSeq: 9, LatestChangeSeq: 5}},
		{"latest unavailable", fixedSeqs{err: errors.New("api down")}, "5", 0, &realtimev1.SyncRequired{SinceChangeSeq: 5}},
		{"no sidecar", nil, "5", 0, &realtimev1.SyncRequired{SinceChangeSeq: 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.seqs, HubConfig{}, HandlerConfig{})
			var params []string
			if tc.since != "" {
				params = append(params, "since", tc.since)
			}
			c := e.dialRaw(e.dialURL(params...), offer(e.token(user)))
			if r := readFrame(t, c).GetReady(); r.GetUserId() != user.String() || r.GetChangeSeq() != tc.ready {
				t.Fatalf("Ready %v; want user %s at change_seq %d", r, user, tc.ready)
			}
			if tc.sync != nil {
				if got := readFrame(t, c).GetSyncRequired(); !proto.Equal(got, tc.sync) {
					t.Fatalf("second frame SyncRequired %v; want %v", got, tc.sync)
				}
			}
			// Then the live updates, and nothing else first.
			e.publish(user, 10, "")
			wantUpdate(t, c, 10)
		})
	}
}

func TestUpdatesTheClientAlreadyHasAreSkipped(t *testing.T) {
	e := newEnv(t, fixedSeqs{seq: 5}, HubConfig{}, HandlerConfig{})
	user := uuid.New()
	c := e.dial(user, "since", "5")
	e.publish(user, 4, "") // redelivered old change: the client has it
	e.publish(user, 5, "")
	reminder := &eventsv1.TaskUpdateEvent{EventId: uuid.NewString(), UserId: user.String(), Kind: eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_REMINDER}
	data, _ := protojson.Marshal(reminder)
	if st := e.deliver(reminder.GetEventId(), data); st != appcallback.Success {
		t.Fatalf("reminder: %v", st)
	}
	e.publish(user, 6, "")
	if f := readFrame(t, c); f.GetUpdate().GetKind() != eventsv1.TaskUpdateKind_TASK_UPDATE_KIND_REMINDER {
		t.Fatalf("first frame after Ready %v; want the reminder (updates 4 and 5 skipped)", f)
	}
	wantUpdate(t, c, 6)
}

func TestSlowClientIsCutOffWithoutStallingOthers(t *testing.T) {
	e := newEnv(t, fixedSeqs{}, HubConfig{QueueSize: 8}, HandlerConfig{})
	user := uuid.New()
	slow, fast := e.dial(user), e.dial(user)

	got := make(chan int64)
	go func() {
		defer close(got)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, data, err := fast.Read(ctx)
			cancel()
			if err != nil {
				return
			}
			var f realtimev1.ServerFrame
			if protojson.Unmarshal(data, &f) != nil {
				return
			}
			got <- f.GetUpdate().GetChangeSeq()
		}
	}()
	wantFast := func(seq int64) {
		t.Helper()
		select {
		case s, ok := <-got:
			if !ok || s != seq {
				t.Fatalf("fast client got %d (open %v); want update %d", s, ok, seq)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("fast client did not get update %d", seq)
		}
	}

	// slow never reads: once the socket buffers are full its queue fills and it is cut
	// off. Each update waits for the fast client, which must never fall behind.
	big := strings.Repeat("x", 128<<10)
	var seq int64
	for e.hub.conns(user) == 2 {
		if seq++; seq > 2000 {
			t.Fatal("the slow client was never cut off")
		}
		e.publish(user, seq, big)
		wantFast(seq)
	}
	t.Logf("slow client cut off after %d updates", seq)
	if n := e.hub.conns(user); n != 1 {
		t.Fatalf("%d sockets left, want the fast one", n)
	}
	seq++
	e.publish(user, seq, "after the cut")
	wantFast(seq)

	if st := readClose(t, slow, 5*time.Second); st != StatusTooSlow {
		t.Fatalf("slow client closed with %v, want %d (too slow)", st, StatusTooSlow)
	}
}

func TestExpiredTokenClosesTheSocket(t *testing.T) {
	e := newEnv(t, fixedSeqs{}, HubConfig{}, HandlerConfig{})
	// Issue truncates to the second: a 2 s TTL leaves 1 to 2 s, time to handshake.
	short := authn.NewIssuer(e.priv, authn.Config{Issuer: "taskmesh", Audience: "taskmesh", AccessTTL: 2 * time.Second})
	user := uuid.New()
	tok, exp, err := short.Issue(user)
	if err != nil {
		t.Fatal(err)
	}
	c := e.dialRaw(e.dialURL(), offer(tok))
	if r := readFrame(t, c).GetReady(); r.GetUserId() != user.String() {
		t.Fatalf("Ready %v", r)
	}
	// The verifier's 5 s leeway must not delay the close.
	if st := readClose(t, c, time.Until(exp)+2*time.Second); st != StatusTokenExpired {
		t.Fatalf("closed with %v, want %d (token expired)", st, StatusTokenExpired)
	}
	if left := time.Until(exp); left > 100*time.Millisecond {
		t.Fatalf("closed %v before the token expired", left)
	}
}

func TestKeepalive(t *testing.T) {
	e := newEnv(t, fixedSeqs{}, HubConfig{}, HandlerConfig{PingInterval: 20 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
	user := uuid.New()

	t.Run("answered pings keep the socket", func(t *testing.T) {
		pings := make(chan struct{}, 16)
		c := e.dialRaw(e.dialURL(), &websocket.DialOptions{
			Subprotocols: wsauth.Offer(e.token(user)),
			OnPingReceived: func(context.Context, []byte) bool {
				select {
				case pings <- struct{}{}:
				default:
				}
				return true
			},
		})
		readFrame(t, c) // Ready
		// Reading answers pings; a reader goroutine keeps doing so while we count them.
		frames := make(chan *realtimev1.ServerFrame, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, data, err := c.Read(ctx)
			if err != nil {
				close(frames)
				return
			}
			var f realtimev1.ServerFrame
			_ = protojson.Unmarshal(data, &f)
			frames <- &f
		}()
		for range 3 {
			select {
			case <-pings:
			case <-time.After(5 * time.Second):
				t.Fatal("no ping from the server")
			}
		}
		e.publish(user, 1, "")
		if f, ok := <-frames; !ok || f.GetUpdate().GetChangeSeq() != 1 {
			t.Fatalf("after pings the socket read %v (open %v); want update 1", f, ok)
		}
	})

	t.Run("unanswered pings drop the socket", func(t *testing.T) {
		other := uuid.New()
		c := e.dialRaw(e.dialURL(), offer(e.token(other)))
		// Not reading: the client never answers the pings.
		eventually(t, "the unresponsive socket to be dropped", func() bool { return e.hub.conns(other) == 0 })
		if st := readClose(t, c, 5*time.Second); st != -1 {
			t.Fatalf("closed with %v; want a dropped connection, no close handshake", st)
		}
	})
}

func TestShutdownClosesSocketsGoingAway(t *testing.T) {
	e := newEnv(t, fixedSeqs{}, HubConfig{}, HandlerConfig{})
	user := uuid.New()
	c1, c2 := e.dial(user), e.dial(uuid.New())
	closed := make(chan websocket.StatusCode, 2)
	for _, c := range []*websocket.Conn{c1, c2} {
		go func() {
			st, _ := closeStatus(c, 5*time.Second) // 0 when still open
			closed <- st
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.handler.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	for range 2 {
		if st := <-closed; st != websocket.StatusGoingAway {
			t.Fatalf("closed with %v, want 1001 going away", st)
		}
	}
	_, res, err := websocket.Dial(ctx, e.dialURL(), offer(e.token(user)))
	if err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after shutdown: %v, %v; want 503", res, err)
	}
}

func TestTooManySocketsPerUser(t *testing.T) {
	e := newEnv(t, fixedSeqs{}, HubConfig{MaxConnsPerUser: 2}, HandlerConfig{})
	user := uuid.New()
	e.dial(user)
	e.dial(user)
	_, res, err := websocket.Dial(context.Background(), e.dialURL(), offer(e.token(user)))
	if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third socket: %v, %v; want 429", res, err)
	}
	e.dial(uuid.New()) // another user is not limited by it
}

func TestSignOutClosesTheSessionsSockets(t *testing.T) {
	e := newEnv(t, fixedSeqs{}, HubConfig{}, HandlerConfig{SessionCheckInterval: 20 * time.Millisecond})
	user := uuid.New()
	ended, kept := uuid.New(), uuid.New()
	dial := func(session uuid.UUID) *websocket.Conn {
		tok, _, err := e.issuer.IssueSession(user, session)
		if err != nil {
			t.Fatal(err)
		}
		c := e.dialRaw(e.dialURL(), offer(tok))
		if r := readFrame(t, c).GetReady(); r.GetUserId() != user.String() {
			t.Fatalf("Ready %v", r)
		}
		return c
	}
	a, b := dial(ended), dial(kept)
	// While the list cannot be read, open sockets are kept (once the cached answers have
	// aged, each socket's checks reach the store and fail).
	e.revs.down.Store(true)
	eventually(t, "checks failing on the list that is down", func() bool { return e.revs.refusals.Load() >= 4 })
	if n := e.hub.conns(user); n != 2 {
		t.Fatalf("%d sockets open while the revocation list was down; want both kept", n)
	}
	e.revs.down.Store(false)
	if err := e.issuer.EndSession(context.Background(), ended); err != nil {
		t.Fatal(err)
	}
	if st := readClose(t, a, 5*time.Second); st != StatusSessionEnded {
		t.Fatalf("signed-out session's socket closed with %v; want %d", st, StatusSessionEnded)
	}
	// The user's other session keeps its socket and its updates.
	e.publish(user, 1, "")
	wantUpdate(t, b, 1)
}

func TestHandshakeIsUnavailableWhileTheRevocationListIsDown(t *testing.T) {
	e := newEnv(t, fixedSeqs{}, HubConfig{}, HandlerConfig{})
	e.revs.down.Store(true)
	c, res, err := websocket.Dial(context.Background(), e.dialURL(), offer(e.token(uuid.New())))
	if err == nil {
		c.CloseNow()
		t.Fatal("the socket was upgraded without checking its session")
	}
	if res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("handshake answered %v (%v); want HTTP 503", res, err)
	}
}
