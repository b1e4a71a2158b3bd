package rpctest

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/taskmesh/taskmesh/pkg/authn"
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
