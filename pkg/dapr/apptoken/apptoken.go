// Package apptoken is Dapr's app API token, seen from the app: the shared secret that
// daprd, started with APP_API_TOKEN in its environment, sends as `dapr-api-token` with
// every call it makes to the app (proxied service invocation, topic events, input
// bindings). The app is given the same secret and refuses mesh-only calls that do not
// carry it, so that only its own sidecar can make them: a header such as
// dapr-caller-app-id proves nothing, since any client reaching the port can send it.
//
// On Kubernetes the secret comes from the annotation dapr.io/app-token-secret (daprd) and
// the same Secret as an environment variable of the app; pkg/devmesh generates one per
// app instance.
package apptoken

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"google.golang.org/grpc/metadata"
)

// EnvVar is the environment variable daprd and the app read the token from (the app also
// reads EnvVar+"_FILE", a file holding it).
const EnvVar = "APP_API_TOKEN"

// Header is the header (gRPC metadata key) daprd sends the token in.
const Header = "dapr-api-token"

// MinLength is the shortest token accepted: shorter secrets could be guessed.
const MinLength = 32

// ErrMissing is returned by FromEnv when no token is configured.
var ErrMissing = errors.New(EnvVar + " is not set: give daprd and the app the same random secret (dapr.io/app-token-secret on Kubernetes; make run does it for you), or only the sidecar could not be told apart from anyone who reaches the app's port")

// Token is the app's expected token. The zero Token matches nothing.
type Token struct{ secret []byte }

// New returns the Token secret; it must be at least MinLength characters.
func New(secret string) (Token, error) {
	if len(secret) < MinLength {
		return Token{}, fmt.Errorf("%s: the app API token must be at least %d characters", EnvVar, MinLength)
	}
	return Token{secret: []byte(secret)}, nil
}

// FromEnv reads the token from EnvVar or the file named by EnvVar_FILE. It returns
// ErrMissing when neither is set.
func FromEnv(getenv func(string) string) (Token, error) {
	secret := getenv(EnvVar)
	if secret == "" {
		if path := getenv(EnvVar + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return Token{}, fmt.Errorf("%s_FILE: %w", EnvVar, err)
			}
			secret = strings.TrimSpace(string(b))
		}
	}
	if secret == "" {
		return Token{}, ErrMissing
	}
	return New(secret)
}

// Configured reports whether t holds a secret.
func (t Token) Configured() bool { return len(t.secret) > 0 }

// Matches reports whether the token presented (the values of Header, in order) is t. The
// last value counts: daprd replaces the header on proxied calls, and on callbacks appends
// its own value after any metadata it passes along from a publisher. The comparison takes
// the same time whatever the value, so a client cannot guess the secret byte by byte.
func (t Token) Matches(values []string) bool {
	if !t.Configured() || len(values) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(values[len(values)-1]), t.secret) == 1
}

// MatchesHeader is Matches on an HTTP header (a Connect request's header).
func (t Token) MatchesHeader(h http.Header) bool { return t.Matches(h.Values(Header)) }

// MatchesMetadata is Matches on incoming gRPC metadata (a grpc-go handler's).
func (t Token) MatchesMetadata(md metadata.MD) bool { return t.Matches(md.Get(Header)) }

// Last returns the last value of the header key in h (case-insensitive), or "". Headers
// that daprd appends to what the client sent, such as dapr-caller-app-id, must be read
// this way: the first values are the client's own.
func Last(h http.Header, key string) string {
	v := h.Values(key)
	if len(v) == 0 {
		return ""
	}
	// A client can also pack several values into one line.
	parts := strings.Split(v[len(v)-1], ",")
	return strings.TrimSpace(parts[len(parts)-1])
}
