package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	authv1 "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	"github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1/authv1connect"
	"github.com/taskmesh/taskmesh/pkg/clientaddr"
	"github.com/taskmesh/taskmesh/pkg/dapr/publish/publishtest"
)

// fakeAPI stands in for the sidecar (and the api behind it): it records the headers of
// the call the gateway forwards.
type fakeAPI struct {
	authv1connect.UnimplementedAuthServiceHandler
	mu   sync.Mutex
	seen http.Header
}

func (f *fakeAPI) SignIn(_ context.Context, req *connect.Request[authv1.SignInRequest]) (*connect.Response[authv1.SignInResponse], error) {
	f.mu.Lock()
	f.seen = req.Header().Clone()
	f.mu.Unlock()
	return connect.NewResponse(&authv1.SignInResponse{}), nil
}

// TestGatewayPassesTheClientAddressItDecided: whatever forwarding headers a client
// sends, the call forwarded to the sidecar carries the address the gateway decided in
// clientaddr.Header (the peer, or from a trusted proxy the X-Forwarded-For hop it
// appended), and no X-Forwarded-For, caller id or app token of the client's.
func TestGatewayPassesTheClientAddressItDecided(t *testing.T) {
	for _, c := range []struct {
		name    string
		trusted string
		xff     string
		want    string
	}{
		{"no trusted proxy: the peer", "", "6.6.6.6, 203.0.113.9", "127.0.0.1"},
		{"behind a trusted proxy: the hop it appended", "127.0.0.1/32", "6.6.6.6, 203.0.113.9", "203.0.113.9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := &fakeAPI{}
			mux := http.NewServeMux()
			mux.Handle(authv1connect.NewAuthServiceHandler(api))
			sidecar := httptest.NewUnstartedServer(mux)
			sidecar.Config.Protocols = new(http.Protocols)
			sidecar.Config.Protocols.SetUnencryptedHTTP2(true)
			sidecar.Start()
			defer sidecar.Close()

			trusted, err := clientaddr.ParseTrusted(c.trusted)
			if err != nil {
				t.Fatal(err)
			}
			h, err := New(Config{
				SidecarAddr: strings.TrimPrefix(sidecar.URL, "http://"), RealtimeURL: "http://127.0.0.1:1",
				FrontendDir: t.TempDir(), Publisher: &publishtest.Recorder{}, TrustedProxies: trusted, Log: zerolog.Nop(),
			})
			if err != nil {
				t.Fatal(err)
			}
			gw := httptest.NewServer(h)
			defer gw.Close()

			req := connect.NewRequest(&authv1.SignInRequest{Email: "a@example.com", Password: "whatever!"})
			req.Header().Set("X-Forwarded-For", c.xff)
			req.Header().Set(clientaddr.Header, "6.6.6.6")
			req.Header().Set("Dapr-Caller-App-Id", "web")
			req.Header().Set("Dapr-Api-Token", strings.Repeat("x", 40))
			if _, err := authv1connect.NewAuthServiceClient(http.DefaultClient, gw.URL).SignIn(context.Background(), req); err != nil {
				t.Fatalf("SignIn through the gateway: %v", err)
			}
			api.mu.Lock()
			seen := api.seen
			api.mu.Unlock()
			if got := seen.Values(clientaddr.Header); len(got) != 1 || got[0] != c.want {
				t.Errorf("%s = %q; want [%s]", clientaddr.Header, got, c.want)
			}
			if _, err := netip.ParseAddr(seen.Get(clientaddr.Header)); err != nil {
				t.Errorf("%s is not an address: %v", clientaddr.Header, err)
			}
			for _, h := range []string{"X-Forwarded-For", "Dapr-Caller-App-Id", "Dapr-Api-Token"} {
				if v := seen.Values(h); len(v) > 0 {
					t.Errorf("the client's %s reached the sidecar: %q", h, v)
				}
			}
		})
	}
}
