// Package authn issues and checks Taskmesh access tokens and carries the authenticated
// user through a request.
//
// Access tokens are short-lived JWTs signed with Ed25519 (alg "EdDSA", the only algorithm
// accepted), with issuer, audience, subject (the user id), session id ("sid"), issued-at
// and expiry, all checked on every request. golang-jwt/jwt/v5 does the JWT work: it is the
// maintained, widely used Go JWT library, and its parser takes an explicit algorithm
// allow-list.
//
// Keys: every token names its signing key in the header ("kid", the key's RFC 7638 JWK
// thumbprint, so that a key id can never disagree with its key), and verifiers accept a
// set of public keys, looked up by kid. That is what lets keys rotate with no downtime
// (README, "Rotating the token signing key"). Services that only verify are given public
// keys only: ParsePublicKeys refuses a private key.
//
// Sessions: the sid is the sign-in's refresh-token family. Signing out (or the reuse of a
// rotated refresh token) puts the sid on a revocation list that every verifier reads
// (Revocations), so the session's access tokens stop working before they expire.
package authn

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// DefaultAccessTTL is how long an access token is accepted.
const DefaultAccessTTL = 15 * time.Minute

// leeway is the clock skew tolerated on exp, iat and nbf.
const leeway = 5 * time.Second

// ErrInvalidToken is returned for any token that is not accepted: malformed, signed with
// an unknown key or another algorithm, for another issuer or audience, or expired.
var ErrInvalidToken = errors.New("invalid or expired access token")

// ErrSessionEnded is returned by Authenticate for a valid token of a session that was
// signed out (or revoked because its refresh token was reused).
var ErrSessionEnded = errors.New("this session has ended (signed out); sign in again")

// Config names the token issuer and audience, and the revocation list to check.
type Config struct {
	Issuer    string
	Audience  string
	AccessTTL time.Duration
	// Revocations, when not nil, is the list of ended sessions that Authenticate checks
	// and that Issuer.EndSession writes.
	Revocations *Revocations
}

// Verifier checks access tokens. Services that only check tokens need only a Verifier.
type Verifier struct {
	keys   map[string]ed25519.PublicKey // by kid
	cfg    Config
	parser *jwt.Parser
	now    func() time.Time
}

// Issuer signs access tokens and can verify them.
type Issuer struct {
	*Verifier
	priv ed25519.PrivateKey
	kid  string
}

// Claims are what a valid access token says.
type Claims struct {
	UserID uuid.UUID
	// SessionID is the sign-in the token belongs to (its refresh-token family).
	SessionID uuid.UUID
	ExpiresAt time.Time
}

// tokenClaims is the JWT payload.
type tokenClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
}

// NewIssuer returns an Issuer that signs with priv (its kid is KeyID of priv's public
// key) and verifies tokens signed by priv or by any of accept (the key set of the mesh,
// so that during a rotation an api replica accepts what another replica signed).
func NewIssuer(priv ed25519.PrivateKey, cfg Config, accept ...ed25519.PublicKey) *Issuer {
	pub := priv.Public().(ed25519.PublicKey)
	return &Issuer{Verifier: NewVerifier(append([]ed25519.PublicKey{pub}, accept...), cfg), priv: priv, kid: KeyID(pub)}
}

// NewVerifier returns a Verifier that accepts tokens signed by the private key of any of
// keys.
func NewVerifier(keys []ed25519.PublicKey, cfg Config) *Verifier {
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	v := &Verifier{keys: make(map[string]ed25519.PublicKey, len(keys)), cfg: cfg, now: time.Now}
	for _, k := range keys {
		v.keys[KeyID(k)] = k
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	)
	return v
}

// KeyID is the kid of an Ed25519 public key: its RFC 7638 JWK thumbprint (RFC 8037's
// members crv, kty, x in that order), base64url without padding.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// KeyID returns the kid this Issuer writes into its tokens.
func (i *Issuer) KeyID() string { return i.kid }

// Issue returns a signed access token for userID in a session of its own (one that no
// sign-out ends; for tests and tools) and its expiry.
func (i *Issuer) Issue(userID uuid.UUID) (string, time.Time, error) {
	return i.IssueSession(userID, uuid.New())
}

// IssueSession returns a signed access token for userID in session sessionID, and its
// expiry.
func (i *Issuer) IssueSession(userID, sessionID uuid.UUID) (string, time.Time, error) {
	now := i.now().Truncate(time.Second)
	exp := now.Add(i.cfg.AccessTTL)
	claims := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.cfg.Issuer,
			Subject:   userID.String(),
			Audience:  jwt.ClaimStrings{i.cfg.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        uuid.NewString(),
		},
		SessionID: sessionID.String(),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = i.kid
	signed, err := t.SignedString(i.priv)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return signed, exp, nil
}

// EndSession puts sessionID on the revocation list for as long as any of its access
// tokens can still be valid (the access lifetime plus the clock-skew leeway), so that
// every verifier refuses them. Without a revocation list it does nothing.
func (i *Issuer) EndSession(ctx context.Context, sessionID uuid.UUID) error {
	if i.cfg.Revocations == nil {
		return nil
	}
	return i.cfg.Revocations.Revoke(ctx, sessionID, i.cfg.AccessTTL+leeway)
}

// keyFor is the parser's key look-up: the token's kid in the key set.
func (v *Verifier) keyFor(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	key, ok := v.keys[kid]
	if !ok {
		return nil, errors.New("unknown kid")
	}
	return key, nil
}

// Verify checks token's signature and claims and returns its claims, or ErrInvalidToken.
// It does not consult the revocation list: see Authenticate.
func (v *Verifier) Verify(token string) (Claims, error) {
	var tc tokenClaims
	if _, err := v.parser.ParseWithClaims(token, &tc, v.keyFor); err != nil {
		return Claims{}, ErrInvalidToken
	}
	id, err := uuid.Parse(tc.Subject)
	if err != nil || tc.ExpiresAt == nil {
		return Claims{}, ErrInvalidToken
	}
	sid, err := uuid.Parse(tc.SessionID)
	if err != nil {
		return Claims{}, ErrInvalidToken
	}
	return Claims{UserID: id, SessionID: sid, ExpiresAt: tc.ExpiresAt.Time}, nil
}

// Authenticate is Verify plus the revocation list: a token of an ended session answers
// ErrSessionEnded. When the list cannot be read it returns an error wrapping
// ErrRevocationsUnavailable (the caller should answer Unavailable: the token may be fine).
func (v *Verifier) Authenticate(ctx context.Context, token string) (Claims, error) {
	claims, err := v.Verify(token)
	if err != nil {
		return Claims{}, err
	}
	if err := v.CheckSession(ctx, claims.SessionID); err != nil {
		return Claims{}, err
	}
	return claims, nil
}

// CheckSession returns ErrSessionEnded when sessionID is on the revocation list, an error
// wrapping ErrRevocationsUnavailable when the list cannot be read, and nil otherwise
// (also when there is no list).
func (v *Verifier) CheckSession(ctx context.Context, sessionID uuid.UUID) error {
	if v.cfg.Revocations == nil {
		return nil
	}
	revoked, err := v.cfg.Revocations.Revoked(ctx, sessionID)
	if err != nil {
		return err
	}
	if revoked {
		return ErrSessionEnded
	}
	return nil
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

// ErrPrivateKeyGiven is returned by ParsePublicKeys for a key set holding a private key:
// services that only verify tokens must not hold the key that signs them.
var ErrPrivateKeyGiven = errors.New("verify keys: this is a PRIVATE key; services that only verify tokens take public keys only (make one with `openssl pkey -in signing.pem -pubout`)")

// ParsePublicKeys reads a key set: one or more PEM-encoded Ed25519 public keys (PKIX, as
// written by `openssl pkey -pubout`), one after another. A private key anywhere in it is
// refused with ErrPrivateKeyGiven; so are an empty set, text that is not PEM, other key
// types, and the same key twice.
func ParsePublicKeys(pemBytes []byte) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	seen := map[string]bool{}
	rest := pemBytes
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "PUBLIC KEY" {
			if block.Type == "PRIVATE KEY" || block.Type == "ED25519 PRIVATE KEY" || block.Type == "OPENSSH PRIVATE KEY" {
				return nil, ErrPrivateKeyGiven
			}
			return nil, fmt.Errorf("verify keys: PEM block %d is a %q; want PUBLIC KEY", n, block.Type)
		}
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("verify keys: key %d: %w", n, err)
		}
		pub, ok := key.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("verify keys: key %d: want an Ed25519 key, got %T", n, key)
		}
		kid := KeyID(pub)
		if seen[kid] {
			return nil, fmt.Errorf("verify keys: key %d (kid %s) is in the set twice", n, kid)
		}
		seen[kid] = true
		keys = append(keys, pub)
	}
	if len(keys) == 0 {
		return nil, errors.New("verify keys: no PEM block found")
	}
	return keys, nil
}

// LoadPublicKey reads one PEM-encoded Ed25519 public key (a key set of exactly one; see
// ParsePublicKeys).
func LoadPublicKey(pemBytes []byte) (ed25519.PublicKey, error) {
	keys, err := ParsePublicKeys(pemBytes)
	if err != nil {
		return nil, err
	}
	if len(keys) != 1 {
		return nil, fmt.Errorf("verify keys: want one key, got %d", len(keys))
	}
	return keys[0], nil
}
