package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/encoding/protojson"

	realtimev1 "github.com/taskmesh/taskmesh/gen/taskmesh/realtime/v1"
	"github.com/taskmesh/taskmesh/pkg/devmesh"
	"github.com/taskmesh/taskmesh/pkg/wsauth"
)

// socket is a live-update WebSocket of one user.
type socket struct {
	t    testing.TB
	conn *websocket.Conn
}

// dialSocket opens /ws on baseURL (the gateway or a realtime instance) for u, resuming
// from since, and reads the Ready frame.
func dialSocket(t testing.TB, baseURL string, u *user, since int64) (*socket, *realtimev1.Ready) {
	t.Helper()
	ws := strings.Replace(baseURL, "http://", "ws://", 1) + "/ws?" + url.Values{
		"since": {strconv.FormatInt(since, 10)},
	}.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The token travels as a subprotocol, as the browser sends it, never in the URL.
	conn, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{Subprotocols: wsauth.Offer(u.token)})
	if err != nil {
		t.Fatalf("dial %s/ws: %v", baseURL, err)
	}
	if conn.Subprotocol() != wsauth.Protocol {
		t.Fatalf("socket negotiated subprotocol %q; want %q", conn.Subprotocol(), wsauth.Protocol)
	}
	conn.SetReadLimit(1 << 20)
	s := &socket{t: t, conn: conn}
	t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "") })
	f, err := s.next(5 * time.Second)
	if err != nil || f.GetReady() == nil {
		t.Fatalf("first frame = %v, %v; want Ready", f, err)
	}
	return s, f.GetReady()
}

// next reads one frame, or returns context.DeadlineExceeded after wait.
func (s *socket) next(wait time.Duration) (*realtimev1.ServerFrame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	typ, data, err := s.conn.Read(ctx)
	if err != nil {
		return nil, err
	}
	if typ != websocket.MessageText {
		s.t.Fatalf("got a %v frame; want text (protojson)", typ)
	}
	f := &realtimev1.ServerFrame{}
	if err := protojson.Unmarshal(data, f); err != nil {
		s.t.Fatalf("frame %s: %v", data, err)
	}
	return f, nil
}

// nextUpdate skips non-update frames until an update arrives within wait.
func (s *socket) nextUpdate(wait time.Duration) *realtimev1.ServerFrame {
	s.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		f, err := s.next(time.Until(deadline))
		if err != nil {
			s.t.Fatalf("no update within %s: %v", wait, err)
		}
		if f.GetUpdate() != nil {
			return f
		}
	}
}

// silent asserts that no update arrives within wait. A closed socket is a failure: it
// would make silence meaningless. The socket is not usable afterwards.
func (s *socket) silent(wait time.Duration) {
	s.t.Helper()
	for {
		f, err := s.next(wait)
		if errors.Is(err, context.DeadlineExceeded) {
			return
		}
		if err != nil {
			s.t.Fatalf("socket failed while expected silent: %v", err)
		}
		if f.GetUpdate() != nil {
			s.t.Fatalf("got an update meant for someone else: %v", f)
		}
	}
}

// testSocketTokenNotInURL: the socket takes u's token only from the subprotocol header;
// one in the URL (where the gateway's and any proxy's logs keep it) is refused, even
// when valid, and the subprotocol answered is the app's, never the token.
func testSocketTokenNotInURL(t *testing.T, m *devmesh.Mesh, u *user) {
	ws := strings.Replace(m.WebURL, "http://", "ws://", 1) + "/ws"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for name, opts := range map[string]*websocket.DialOptions{
		"alone":           nil,
		"beside an offer": {Subprotocols: wsauth.Offer(u.token)},
	} {
		c, res, err := websocket.Dial(ctx, ws+"?"+url.Values{"access_token": {u.token}}.Encode(), opts)
		if err == nil {
			c.CloseNow()
			t.Fatalf("token in the URL %s: the socket opened", name)
		}
		if res == nil || res.StatusCode != http.StatusBadRequest {
			t.Fatalf("token in the URL %s: handshake answered %v (%v); want 400", name, res, err)
		}
	}
	s, ready := dialSocket(t, m.WebURL, u, 0)
	if ready.GetUserId() != u.id {
		t.Fatalf("Ready for %q; want %s", ready.GetUserId(), u.id)
	}
	s.conn.CloseNow()
}
