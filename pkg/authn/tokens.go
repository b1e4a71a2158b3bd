// Package authn issues and checks Taskmesh access tokens and carries the authenticated
// user through a request.
//
// Access tokens are short-lived JWTs signed with Ed25519 (alg "EdDSA", the only algorithm
// accepted), with issuer, audience, subject (the user id), issued-at and expiry, all
// checked on every request. golang-jwt/jwt/v5 does the JWT work: it is the maintained,
// widely used Go JWT library, and its parser takes an explicit algorithm allow-list.
package authn

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// DefaultAccessTTL is how long an access token is accepted.
const DefaultAccessTTL = 15 * time.Minute

// ErrInvalidToken is returned for any token that is not accepted: malformed, signed with
// another key or algorithm, for another issuer or audience, or expired.
var ErrInvalidToken = errors.New("invalid or expired access token")

// Config names the token issuer and audience.
type Config struct {
	Issuer    string
	Audience  string
	AccessTTL time.Duration
}

// Verifier checks access tokens. Services that only check tokens need only a Verifier.
type Verifier struct {
	pub    ed25519.PublicKey
	cfg    Config
	parser *jwt.Parser
	now    func() time.Time
}

// Issuer signs access tokens and can verify them.
type Issuer struct {
	*Verifier
	priv ed25519.PrivateKey
}

// Claims are what a valid access token says.
type Claims struct {
	UserID    uuid.UUID
	ExpiresAt time.Time
}

// NewIssuer returns an Issuer that signs with priv.
func NewIssuer(priv ed25519.PrivateKey, cfg Config) *Issuer {
	return &Issuer{Verifier: NewVerifier(priv.Public().(ed25519.PublicKey), cfg), priv: priv}
}

// NewVerifier returns a Verifier that accepts tokens signed by pub's private key.
func NewVerifier(pub ed25519.PublicKey, cfg Config) *Verifier {
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	v := &Verifier{pub: pub, cfg: cfg, now: time.Now}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(5*time.Second),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	)
	return v
}

// Issue returns a signed access token for userID and its expiry.
func (i *Issuer) Issue(userID uuid.UUID) (string, time.Time, error) {
	now := i.now().Truncate(time.Second)
	exp := now.Add(i.cfg.AccessTTL)
	claims := jwt.RegisteredClaims{
		Issuer:    i.cfg.Issuer,
		Subject:   userID.String(),
		Audience:  jwt.ClaimStrings{i.cfg.Audience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
		ID:        uuid.NewString(),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims).SignedString(i.priv)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return signed, exp, nil
}

// Verify checks token and returns its claims, or ErrInvalidToken.
func (v *Verifier) Verify(token string) (Claims, error) {
	var rc jwt.RegisteredClaims
	if _, err := v.parser.ParseWithClaims(token, &rc, func(*jwt.Token) (any, error) { return v.pub, nil }); err != nil {
		return Claims{}, ErrInvalidToken
	}
	id, err := uuid.Parse(rc.Subject)
	if err != nil || rc.ExpiresAt == nil {
		return Claims{}, ErrInvalidToken
	}
	return Claims{UserID: id, ExpiresAt: rc.ExpiresAt.Time}, nil
}

// LoadPrivateKey reads a PEM-encoded PKCS #8 Ed25519 private key (as written by
// `openssl genpkey -algorithm ed25519`).
func LoadPrivateKey(pemBytes []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("signing key: no PEM block found")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key: want an Ed25519 key, got %T", key)
	}
	return priv, nil
}

// LoadPublicKey reads a PEM-encoded Ed25519 public key (PKIX, as written by
// `openssl pkey -pubout`), or derives it from a private key PEM, so that services that
// only verify tokens can be given either.
func LoadPublicKey(pemBytes []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("verify key: no PEM block found")
	}
	if block.Type == "PRIVATE KEY" {
		priv, err := LoadPrivateKey(pemBytes)
		if err != nil {
			return nil, err
		}
		return priv.Public().(ed25519.PublicKey), nil
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("verify key: %w", err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("verify key: want an Ed25519 key, got %T", key)
	}
	return pub, nil
}
