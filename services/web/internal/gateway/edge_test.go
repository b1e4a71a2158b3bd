package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/coder/websocket"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/dapr/invoke"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish/publishtest"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
	"github.com/taskmesh/taskmesh/pkg/rpctest"
	"github.com/taskmesh/taskmesh/pkg/wsauth"
)

// fakeAuth stands in for the api behind the sidecar: GetMe answers the bearer token as
// the user's email, and Unauthenticated without one.
type fakeAuth struct {
	authv1connect.UnimplementedAuthServiceHandler
}

func (fakeAuth) GetMe(_ context.Context, req *connect.Request[authv1.GetMeRequest]) (*connect.Response[authv1.GetMeResponse], error) {
	token, ok := authn.BearerToken(req.Header().Get("Authorization"))
	if !ok {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("sign in"))
	}
	return connect.NewResponse(&authv1.GetMeResponse{User: &authv1.User{Email: token + "@example.com"}}), nil
}

// edge is a gateway in front of a fake sidecar (gRPC over h2c, serving AuthService for
// dapr-app-id api) and a fake realtime (a WebSocket that picks wsauth.Protocol and
// reports the subprotocols it was offered on offers).
type edge struct {
	base   string
	offers chan []string
}

func newEdge(t *testing.T) *edge {
	t.Helper()
	path, auth := authv1connect.NewAuthServiceHandler(fakeAuth{})
	sidecar := http.NewServeMux()
	sidecar.Handle(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(invoke.AppIDHeader) != meshnames.API || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			// As a gRPC status: the transcoder cannot read anything else.
			w.Header().Set("Content-Type", "application/grpc")
			w.Header().Set("Grpc-Status", "3")
			w.Header().Set("Grpc-Message", "want gRPC for the api")
			return
		}
		auth.ServeHTTP(w, r)
	}))
	sidecarURL, err := url.Parse(rpctest.NewServer(t, sidecar))
	if err != nil {
		t.Fatal(err)
	}

	e := &edge{offers: make(chan []string, 1)}
	realtime := rpctest.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.offers <- r.Header.Values("Sec-WebSocket-Protocol")
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{wsauth.Protocol}})
		if err != nil {
			return
		}
		_ = ws.Write(r.Context(), websocket.MessageText, []byte("ready"))
		_ = ws.Close(websocket.StatusNormalClosure, "")
	}))

	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"index.html": "<html>app</html>", "assets/main-abc.js": "console.log(1)"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := New(Config{SidecarAddr: sidecarURL.Host, RealtimeURL: realtime, FrontendDir: dir, Publisher: &publishtest.Recorder{}, Log: zerolog.New(zerolog.NewTestWriter(t))})
	if err != nil {
		t.Fatal(err)
	}
	e.base = rpctest.NewServer(t, h)
	return e
}

// directives parses a Content-Security-Policy into its directives' source lists.
func directives(csp string) map[string]string {
	out := map[string]string{}
	for d := range strings.SplitSeq(csp, ";") {
		name, sources, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name != "" {
			out[name] = sources
		}
	}
	return out
}

func TestSecurityHeadersOnPagesAssetsAndAPI(t *testing.T) {
	e := newEdge(t)
	getMe := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, e.base+authv1connect.AuthServiceGetMeProcedure, strings.NewReader("{}"))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Connect-Protocol-Version", "1")
		return r
	}
	get := func(path string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, e.base+path, nil)
		return r
	}
	for _, c := range []struct {
		name   string
		req    *http.Request
		status int
		page   bool
	}{
		{"the app's page", get("/"), 200, true},
		{"a client-side route", get("/tasks/123"), 200, true},
		{"an asset", get("/assets/main-abc.js"), 200, true},
		{"an RPC refused", getMe(), 401, false},
		{"a path that is not found", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, e.base+"/taskmesh.internal.v1.TaskInternalService/GetChangeSeq", nil)
			return r
		}(), 404, false},
		{"a WebSocket handshake refused", get("/ws"), 426, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := http.DefaultClient.Do(c.req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != c.status {
				t.Fatalf("status %d; want %d", res.StatusCode, c.status)
			}
			for name, want := range map[string]string{
				"X-Content-Type-Options":       "nosniff",
				"X-Frame-Options":              "DENY",
				"Referrer-Policy":              "no-referrer",
				"Cross-Origin-Opener-Policy":   "same-origin",
				"Cross-Origin-Resource-Policy": "same-origin",
			} {
				if got := res.Header.Values(name); len(got) != 1 || got[0] != want {
					t.Errorf("%s = %q; want %q", name, got, want)
				}
			}
			pp := res.Header.Get("Permissions-Policy")
			for _, feature := range []string{"camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"} {
				if !strings.Contains(pp, feature) {
					t.Errorf("Permissions-Policy %q does not deny %s", pp, feature)
				}
			}
			csps := res.Header.Values("Content-Security-Policy")
			if len(csps) != 1 {
				t.Fatalf("Content-Security-Policy = %q; want one policy", csps)
			}
			csp := directives(csps[0])
			if csp["frame-ancestors"] != "'none'" || csp["object-src"] == "*" {
				t.Errorf("CSP %q: want frame-ancestors 'none'", csps[0])
			}
			if strings.Contains(csps[0], "unsafe-") || strings.Contains(csps[0], "*") {
				t.Errorf("CSP %q allows unsafe sources or wildcards", csps[0])
			}
			if !c.page {
				if csp["default-src"] != "'none'" {
					t.Errorf("CSP %q: an API answer may load nothing (default-src 'none')", csps[0])
				}
				return
			}
			for _, d := range []string{"script-src", "style-src", "connect-src", "default-src"} {
				if csp[d] != "'self'" {
					t.Errorf("CSP %q: %s %q; want only 'self'", csps[0], d, csp[d])
				}
			}
			if csp["object-src"] != "'none'" || csp["base-uri"] != "'none'" {
				t.Errorf("CSP %q: want object-src and base-uri 'none'", csps[0])
			}
		})
	}
}

func TestPlainConnectCallsReachTheService(t *testing.T) {
	e := newEdge(t)
	getMe := e.base + authv1connect.AuthServiceGetMeProcedure
	binary, err := proto.Marshal(&authv1.GetMeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name        string
		url         string
		contentType string
		version     string // Connect-Protocol-Version; "" sends none, as curl does
		body        []byte
		auth        bool
		status      int
		want        string // in the body
	}{
		{"JSON as curl sends it", getMe, "application/json", "", []byte("{}"), true, 200, `"email":"alice@example.com"`},
		{"JSON with the version header", getMe, "application/json", "1", []byte("{}"), true, 200, `"email":"alice@example.com"`},
		{"JSON with a charset", getMe, "application/json; charset=utf-8", "", []byte("{}"), true, 200, `"email":"alice@example.com"`},
		{"binary protobuf", getMe, "application/proto", "", binary, true, 200, "alice@example.com"},
		{"an error comes back as a Connect error", getMe, "application/json", "", []byte("{}"), false, 401, `"code":"unauthenticated"`},
		{"a method the service does not have", e.base + "/taskmesh.auth.v1.AuthService/Nope", "application/json", "", []byte("{}"), true, 404, ""},
		{"a service that is not public", e.base + "/taskmesh.internal.v1.TaskInternalService/GetTaskForUser", "application/json", "", []byte("{}"), true, 404, ""},
		{"another version is left alone", getMe, "application/json", "2", []byte("{}"), true, 404, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", c.contentType)
			if c.version != "" {
				req.Header.Set("Connect-Protocol-Version", c.version)
			}
			if c.auth {
				req.Header.Set("Authorization", "Bearer alice")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != c.status || !strings.Contains(string(body), c.want) {
				t.Fatalf("POST %s = %d %s; want %d with %s", c.url, res.StatusCode, body, c.status, c.want)
			}
		})
	}
}

func TestWebSocketProxyCarriesTheSubprotocols(t *testing.T) {
	e := newEdge(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.base, "http")+"/ws?since=3",
		&websocket.DialOptions{Subprotocols: wsauth.Offer("hdr.payload.sig")})
	if err != nil {
		t.Fatalf("dial through the gateway: %v", err)
	}
	defer ws.CloseNow()
	if got := strings.Join(<-e.offers, ","); got != wsauth.Protocol+",bearer.hdr.payload.sig" {
		t.Fatalf("realtime was offered %q; want the app protocol and the token", got)
	}
	if ws.Subprotocol() != wsauth.Protocol {
		t.Fatalf("negotiated %q; want %q", ws.Subprotocol(), wsauth.Protocol)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("the handshake's answer has no security headers: %v", res.Header)
	}
	if _, data, err := ws.Read(ctx); err != nil || string(data) != "ready" {
		t.Fatalf("read %q, %v; want the fake realtime's frame", data, err)
	}
}
