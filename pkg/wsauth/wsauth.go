// Package wsauth carries the access token in the WebSocket handshake without putting it
// in the URL, where proxies, ingresses and browsers' histories keep it. Browsers cannot
// set headers on a WebSocket, but they do send the subprotocols they are given in the
// Sec-WebSocket-Protocol header: the client offers the app's protocol and the token as
// "bearer.<token>" (`new WebSocket(url, wsauth.Offer(token))` in Go terms), and the server
// accepts and echoes only Protocol, never the token. Kubernetes' API server carries
// tokens the same way.
package wsauth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/taskmesh/taskmesh/pkg/authn"
)

// Protocol is the app's WebSocket subprotocol: the frames of taskmesh.realtime.v1.
const Protocol = "taskmesh.v1"

// TokenPrefix starts the offered subprotocol that carries the access token. A JWT is
// made of base64url characters and dots, all allowed in a subprotocol name.
const TokenPrefix = "bearer."

// URLTokenParams are the query parameters a token used to travel in; a handshake that
// still sends one is refused, so that a client leaking tokens into logs is noticed.
var URLTokenParams = []string{"access_token", "token"}

// Errors of Check, each a malformed handshake (HTTP 400): the message is for the client.
var (
	ErrTokenInURL      = errors.New("the access token must not be in the URL: offer it as the WebSocket subprotocol bearer.<token>")
	ErrNoAppProtocol   = errors.New("offer the WebSocket subprotocol " + Protocol + " along with the token")
	ErrSeveralTokens   = errors.New("offer one bearer.<token> subprotocol, not several")
	ErrBadTokenOffered = errors.New("the bearer.<token> subprotocol carries no token")
)

// Offer returns the subprotocols a client offers to authenticate with token: the app's
// protocol first (the one the server picks), then the token.
func Offer(token string) []string {
	return []string{Protocol, TokenPrefix + token}
}

// offered lists the subprotocols of the handshake r, in order (the header may be repeated
// and each value may list several, comma-separated).
func offered(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// Check refuses a handshake whose form is wrong, before any token is verified: a token in
// the URL, several tokens, an empty one, or a token offered without Protocol (the server
// could then echo no protocol, and a browser fails a handshake whose answer names none of
// the protocols it offered).
func Check(r *http.Request) error {
	q := r.URL.Query()
	for _, p := range URLTokenParams {
		if q.Has(p) {
			return ErrTokenInURL
		}
	}
	var tokens int
	app := false
	for _, p := range offered(r) {
		switch {
		case p == Protocol:
			app = true
		case strings.HasPrefix(p, TokenPrefix):
			if p == TokenPrefix {
				return ErrBadTokenOffered
			}
			tokens++
		}
	}
	switch {
	case tokens > 1:
		return ErrSeveralTokens
	case tokens == 1 && !app:
		return ErrNoAppProtocol
	}
	return nil
}

// Token returns the access token of the handshake r: from the bearer.<token> subprotocol,
// or else from an Authorization: Bearer header (clients other than browsers can send
// one). ok is false when there is none. Call Check first.
func Token(r *http.Request) (token string, ok bool) {
	for _, p := range offered(r) {
		if t, found := strings.CutPrefix(p, TokenPrefix); found && t != "" {
			return t, true
		}
	}
	return authn.BearerToken(r.Header.Get("Authorization"))
}
