package rpctest

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/server"
)

// NewIssuer returns an issuer of access tokens signed with a fresh key, for the
// services' default issuer and audience ("taskmesh"), as the api issues them. A service
// under test verifies with its Verifier.
func NewIssuer(tb testing.TB) *authn.Issuer {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return newIssuer(priv)
}

func newIssuer(priv ed25519.PrivateKey) *authn.Issuer {
	return authn.NewIssuer(priv, authn.Config{Issuer: "taskmesh", Audience: "taskmesh"})
}

// NewClientFunc is a generated client constructor, such as
// auditv1connect.NewAuditServiceClient.
type NewClientFunc[C any] func(connect.HTTPClient, string, ...connect.ClientOption) C

// Client returns the client newClient makes for baseURL over protocol p, sending token
// as a bearer token on every call (none when token is "").
func Client[C any](p Protocol, newClient NewClientFunc[C], baseURL, token string) C {
	opts := append([]connect.ClientOption{}, p.Options...)
	if token != "" {
		opts = append(opts, connect.WithInterceptors(Bearer(token)))
	}
	return newClient(p.HTTPClient(), baseURL, opts...)
}

// UserClient returns userID's client for baseURL over protocol p: Client with an access
// token that issuer signs for userID.
func UserClient[C any](tb testing.TB, issuer *authn.Issuer, userID uuid.UUID, p Protocol, newClient NewClientFunc[C], baseURL string) C {
	tb.Helper()
	token, _, err := issuer.Issue(userID)
	if err != nil {
		tb.Fatal(err)
	}
	return Client(p, newClient, baseURL, token)
}

// UserService is a service's Connect surface under test, as its users reach it through
// generated clients of type C.
type UserService[C any] struct {
	// URL is the base URL of the h2c test server.
	URL string
	// Issuer signs access tokens the service accepts, as the api does; the service only
	// verifies them.
	Issuer *authn.Issuer

	tb        testing.TB
	newClient NewClientFunc[C]
}

// User is a signed-in user of a service: their id and their client over one protocol.
type User[C any] struct {
	ID     uuid.UUID
	Client C
}

// ServeUserService serves svc as the service itself does (server.UserServiceMux: every
// procedure behind the standard interceptors and an access token, plus health and
// reflection for name) on an h2c test server closed when tb ends, verifying the tokens
// of a fresh issuer. Its users get clients from newClient. S is the generated handler
// interface, given explicitly.
func ServeUserService[S, C any](tb testing.TB, name string, newHandler func(S, ...connect.HandlerOption) (string, http.Handler), svc S, newClient NewClientFunc[C]) UserService[C] {
	tb.Helper()
	issuer := NewIssuer(tb)
	mux := server.UserServiceMux(zerolog.Nop(), issuer.Verifier, name, newHandler, svc)
	return UserService[C]{URL: NewServer(tb, mux), Issuer: issuer, tb: tb, newClient: newClient}
}

// NewUser returns a new user (a fresh id) signed in over protocol p.
func (s UserService[C]) NewUser(p Protocol) *User[C] {
	s.tb.Helper()
	return s.As(uuid.New(), p)
}

// As returns userID signed in over protocol p, with a fresh access token.
func (s UserService[C]) As(userID uuid.UUID, p Protocol) *User[C] {
	s.tb.Helper()
	return &User[C]{ID: userID, Client: UserClient(s.tb, s.Issuer, userID, p, s.newClient, s.URL)}
}

// WithToken returns a client over protocol p that sends token, whatever it is (none
// when "").
func (s UserService[C]) WithToken(p Protocol, token string) C {
	return Client(p, s.newClient, s.URL, token)
}

// BadTokens are access tokens a service must refuse (Unauthenticated), by name: none,
// one that is not a JWT, and one for userID signed with another key than the service's.
func BadTokens(tb testing.TB, userID uuid.UUID) map[string]string {
	tb.Helper()
	forged, _, err := NewIssuer(tb).Issue(userID)
	if err != nil {
		tb.Fatal(err)
	}
	return map[string]string{"none": "", "garbage": "not-a-jwt", "another key": forged}
}

// Values returns get of every item, in order: the ids of a page, say.
func Values[T, V any](items []T, get func(T) V) []V {
	out := make([]V, len(items))
	for i, item := range items {
		out[i] = get(item)
	}
	return out
}
