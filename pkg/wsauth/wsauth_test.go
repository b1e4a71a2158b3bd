package wsauth

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckAndToken(t *testing.T) {
	cases := []struct {
		name      string
		url       string
		protocols []string // one Sec-WebSocket-Protocol header each
		auth      string
		err       error
		token     string
	}{
		{name: "offered as the browser does", url: "/ws?since=3", protocols: []string{strings.Join(Offer("a.b-c_d"), ", ")}, token: "a.b-c_d"},
		{name: "offered in two headers", url: "/ws", protocols: []string{Protocol, "bearer.tok"}, token: "tok"},
		{name: "authorization header", url: "/ws", auth: "Bearer tok", token: "tok"},
		{name: "the subprotocol wins over the header", url: "/ws", protocols: Offer("sub"), auth: "Bearer head", token: "sub"},
		{name: "nothing", url: "/ws"},
		{name: "app protocol only", url: "/ws", protocols: []string{Protocol}},
		{name: "token in the URL", url: "/ws?access_token=tok", err: ErrTokenInURL},
		{name: "token in the URL as well", url: "/ws?token=tok", protocols: Offer("tok"), err: ErrTokenInURL},
		{name: "empty access_token parameter", url: "/ws?access_token=", err: ErrTokenInURL},
		{name: "token without the app protocol", url: "/ws", protocols: []string{"bearer.tok"}, err: ErrNoAppProtocol},
		{name: "two tokens", url: "/ws", protocols: []string{Protocol + ",bearer.a,bearer.b"}, err: ErrSeveralTokens},
		{name: "empty token", url: "/ws", protocols: []string{Protocol + ", bearer."}, err: ErrBadTokenOffered},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", c.url, nil)
			for _, p := range c.protocols {
				r.Header.Add("Sec-WebSocket-Protocol", p)
			}
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			if err := Check(r); !errors.Is(err, c.err) {
				t.Fatalf("Check = %v; want %v", err, c.err)
			}
			if c.err != nil {
				return
			}
			token, ok := Token(r)
			if token != c.token || ok != (c.token != "") {
				t.Fatalf("Token = %q, %v; want %q", token, ok, c.token)
			}
		})
	}
}
