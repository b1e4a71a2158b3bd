package authn

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

var testCfg = Config{Issuer: "taskmesh", Audience: "taskmesh-api", AccessTTL: 10 * time.Minute}

// fixedNow is the clock of these tests: tokens are issued and verified "then".
var fixedNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// newTestIssuer returns an Issuer on a fresh key whose clock is fixedNow.
func newTestIssuer(t testing.TB) (*Issuer, ed25519.PrivateKey) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss := NewIssuer(priv, testCfg)
	iss.now = func() time.Time { return fixedNow }
	return iss, priv
}

// goodClaims are the claims Issue would write for userID at fixedNow.
func goodClaims(userID uuid.UUID) *tokenClaims {
	return &tokenClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    testCfg.Issuer,
		Subject:   userID.String(),
		Audience:  jwt.ClaimStrings{testCfg.Audience},
		IssuedAt:  jwt.NewNumericDate(fixedNow),
		ExpiresAt: jwt.NewNumericDate(fixedNow.Add(testCfg.AccessTTL)),
		ID:        uuid.NewString(),
	}, SessionID: uuid.NewString()}
}

// sign signs claims with key; an Ed25519 key names itself in the header (kid), as Issue
// does, so that a token refused is refused for what the test changed.
func sign(t testing.TB, method jwt.SigningMethod, claims jwt.Claims, key any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if priv, ok := key.(ed25519.PrivateKey); ok {
		tok.Header["kid"] = KeyID(priv.Public().(ed25519.PublicKey))
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s token: %v", method.Alg(), err)
	}
	return s
}

func TestIssueThenVerifyRoundTrips(t *testing.T) {
	iss, _ := newTestIssuer(t)
	userID := uuid.New()
	token, exp, err := iss.Issue(userID)
	if err != nil {
		t.Fatal(err)
	}
	if want := fixedNow.Add(testCfg.AccessTTL); !exp.Equal(want) {
		t.Fatalf("Issue expiry = %v; want now+AccessTTL = %v", exp, want)
	}
	if strings.Count(token, ".") != 2 {
		t.Fatalf("token %q is not a compact JWS", token)
	}
	header, err := jwt.NewParser().DecodeSegment(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(header), `"alg":"EdDSA"`) {
		t.Fatalf("token header %s; want alg EdDSA", header)
	}

	for _, tc := range []struct {
		name string
		now  time.Time
	}{
		{"at issue", fixedNow},
		{"just before expiry", exp.Add(-time.Second)},
		{"after expiry, within the 5s leeway", exp.Add(4 * time.Second)},
		{"clock 4s behind the issuer, within leeway", fixedNow.Add(-4 * time.Second)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iss.now = func() time.Time { return tc.now }
			claims, err := iss.Verify(token)
			if err != nil {
				t.Fatalf("Verify of a fresh token at %v: %v", tc.now, err)
			}
			if claims.UserID != userID {
				t.Fatalf("UserID = %v; want %v", claims.UserID, userID)
			}
			if !claims.ExpiresAt.Equal(exp) {
				t.Fatalf("ExpiresAt = %v; want %v", claims.ExpiresAt, exp)
			}
		})
	}

	t.Run("a verifier with only the public key accepts it", func(t *testing.T) {
		v := NewVerifier([]ed25519.PublicKey{iss.priv.Public().(ed25519.PublicKey)}, testCfg)
		v.now = func() time.Time { return fixedNow }
		claims, err := v.Verify(token)
		if err != nil || claims.UserID != userID {
			t.Fatalf("Verify = %v, %v; want %v", claims, err, userID)
		}
	})
}

func TestVerifyRejects(t *testing.T) {
	iss, _ := newTestIssuer(t)
	userID := uuid.New()
	good, exp, err := iss.Issue(userID)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	pubBytes := []byte(iss.priv.Public().(ed25519.PublicKey))

	with := func(edit func(*tokenClaims)) *tokenClaims {
		c := goodClaims(userID)
		edit(c)
		return c
	}
	parts := strings.Split(good, ".")
	// Change a character in the middle of the signature (the last character of a
	// base64url segment can carry unused bits, so changing it may not change the bytes).
	sig := []byte(parts[2])
	mid := len(sig) / 2
	if sig[mid] == 'A' {
		sig[mid] = 'B'
	} else {
		sig[mid] = 'A'
	}
	tamperedSig := parts[0] + "." + parts[1] + "." + string(sig)
	// Same signature over a payload naming someone else.
	forgedPayload, _ := jwt.NewParser().DecodeSegment(parts[1])
	otherPayload := strings.Replace(string(forgedPayload), userID.String(), uuid.NewString(), 1)
	swappedPayload := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(otherPayload)) + "." + parts[2]

	cases := []struct {
		name  string
		token string
		now   time.Time // zero: fixedNow
	}{
		{name: "alg none", token: sign(t, jwt.SigningMethodNone, goodClaims(userID), jwt.UnsafeAllowNoneSignatureType)},
		{name: "alg none with the real signature kept", token: func() string {
			n := sign(t, jwt.SigningMethodNone, goodClaims(userID), jwt.UnsafeAllowNoneSignatureType)
			return strings.TrimSuffix(n, ".") + "." + parts[2]
		}()},
		{name: "HS256 keyed with the Ed25519 public key (algorithm confusion)", token: sign(t, jwt.SigningMethodHS256, goodClaims(userID), pubBytes)},
		{name: "HS512 keyed with the Ed25519 public key", token: sign(t, jwt.SigningMethodHS512, goodClaims(userID), pubBytes)},
		{name: "signed by another Ed25519 key", token: sign(t, jwt.SigningMethodEdDSA, goodClaims(userID), otherKey)},
		{name: "wrong issuer", token: sign(t, jwt.SigningMethodEdDSA, with(func(c *tokenClaims) { c.Issuer = "evil" }), iss.priv)},
		{name: "no issuer", token: sign(t, jwt.SigningMethodEdDSA, with(func(c *tokenClaims) { c.Issuer = "" }), iss.priv)},
		{name: "wrong audience", token: sign(t, jwt.SigningMethodEdDSA, with(func(c *tokenClaims) { c.Audience = jwt.ClaimStrings{"other-api"} }), iss.priv)},
		{name: "no audience", token: sign(t, jwt.SigningMethodEdDSA, with(func(c *tokenClaims) { c.Audience = nil }), iss.priv)},
		{name: "expired, past exp + leeway", token: good, now: exp.Add(6 * time.Second)},
		{name: "expired long ago", token: good, now: exp.Add(24 * time.Hour)},
		{name: "issued in the future (iat beyond leeway)", token: good, now: fixedNow.Add(-time.Minute)},
		{name: "missing exp", token: sign(t, jwt.SigningMethodEdDSA, with(func(c *tokenClaims) { c.ExpiresAt = nil }), iss.priv)},
		{name: "not valid yet (nbf)", token: sign(t, jwt.SigningMethodEdDSA, with(func(c *tokenClaims) { c.NotBefore = jwt.NewNumericDate(fixedNow.Add(time.Minute)) }), iss.priv)},
		{name: "subject not a UUID", token: sign(t, jwt.SigningMethodEdDSA, with(func(c *tokenClaims) { c.Subject = "admin" }), iss.priv)},
		{name: "no subject", token: sign(t, jwt.SigningMethodEdDSA, with(func(c *tokenClaims) { c.Subject = "" }), iss.priv)},
		{name: "no session id", token: sign(t, jwt.SigningMethodEdDSA, with(func(c *tokenClaims) { c.SessionID = "" }), iss.priv)},
		{name: "session id not a UUID", token: sign(t, jwt.SigningMethodEdDSA, with(func(c *tokenClaims) { c.SessionID = "s1" }), iss.priv)},
		{name: "no kid", token: func() string {
			s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, goodClaims(userID)).SignedString(iss.priv)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}()},
		{name: "kid of another key, signed by the real key", token: func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, goodClaims(userID))
			tok.Header["kid"] = KeyID(otherKey.Public().(ed25519.PublicKey))
			s, err := tok.SignedString(iss.priv)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}()},
		{name: "one signature character changed", token: tamperedSig},
		{name: "payload swapped under the real signature", token: swappedPayload},
		{name: "signature stripped", token: parts[0] + "." + parts[1] + "."},
		{name: "garbage: empty", token: ""},
		{name: "garbage: words", token: "not a token"},
		{name: "garbage: dots", token: ".."},
		{name: "garbage: two segments", token: parts[0] + "." + parts[1]},
		{name: "garbage: four segments", token: good + ".x"},
		{name: "garbage: bad base64", token: "!!!.@@@.###"},
		{name: "garbage: header is not JSON", token: base64.RawURLEncoding.EncodeToString([]byte("hello")) + "." + parts[1] + "." + parts[2]},
		{name: "garbage: Bearer prefix left in", token: "Bearer " + good},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = fixedNow
			}
			iss.now = func() time.Time { return now }
			claims, err := iss.Verify(tc.token)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify(%q) = %+v, %v; want ErrInvalidToken", tc.token, claims, err)
			}
			if claims != (Claims{}) {
				t.Fatalf("rejected token still returned claims %+v", claims)
			}
		})
	}

	// The good token itself is accepted at fixedNow, so the cases above fail for the
	// reason they name, not because the setup is broken.
	iss.now = func() time.Time { return fixedNow }
	if _, err := iss.Verify(good); err != nil {
		t.Fatalf("control: the untampered token is rejected: %v", err)
	}
}

func TestSigningKeyLoadPrivateKey(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	edPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER})

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})

	t.Run("PKCS#8 Ed25519 PEM", func(t *testing.T) {
		got, err := LoadPrivateKey(edPEM)
		if err != nil {
			t.Fatalf("LoadPrivateKey: %v", err)
		}
		if !got.Equal(edKey) {
			t.Fatal("loaded key differs from the generated one")
		}
		// The loaded key signs tokens the original public key accepts.
		iss := NewIssuer(got, testCfg)
		tok, _, err := iss.Issue(uuid.New())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := NewVerifier([]ed25519.PublicKey{edKey.Public().(ed25519.PublicKey)}, testCfg).Verify(tok); err != nil {
			t.Fatalf("token signed with the loaded key is rejected: %v", err)
		}
	})

	for _, tc := range []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"ECDSA P-256 key", ecPEM, "want an Ed25519 key"},
		{"not PEM", []byte("this is not a key"), "no PEM block"},
		{"empty", nil, "no PEM block"},
		{"raw DER without PEM armor", edDER, "no PEM block"},
		{"PEM around garbage", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("garbage")}), "signing key:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, err := LoadPrivateKey(tc.in)
			if err == nil {
				t.Fatalf("LoadPrivateKey accepted it (key of %d bytes)", len(key))
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q; want it to mention %q", err, tc.wantErr)
			}
			if key != nil {
				t.Fatalf("a key came back with the error: %v", key)
			}
		})
	}
}

func TestSigningKeyLoadPublicKey(t *testing.T) {
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	pubDER, err := x509.MarshalPKIXPublicKey(edPub)
	if err != nil {
		t.Fatal(err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, err := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		in      []byte
		wantErr string // "" means edPub comes back
	}{
		{"PKIX Ed25519 public key", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), ""},
		{"PKCS#8 Ed25519 private key (verify-only services must not hold it)", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), "PRIVATE key"},
		{"ECDSA public key", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}), "want an Ed25519 key"},
		{"not PEM", []byte("nope"), "no PEM block"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadPublicKey(tc.in)
			if tc.wantErr == "" {
				if err != nil || !got.Equal(edPub) {
					t.Fatalf("LoadPublicKey = %x, %v; want the generated public key", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("LoadPublicKey error %v; want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

// FuzzVerify checks that Verify never panics and never accepts anything but the one token
// that Issue produced (up to base64 decoding quirks that leave the signed bytes and the
// signature bytes unchanged).
func FuzzVerify(f *testing.F) {
	// A fixed key and clock, so that the seeds mean the same on every run.
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	iss := NewIssuer(priv, testCfg)
	iss.now = func() time.Time { return fixedNow }
	userID := uuid.MustParse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	// The token and session ids (jti, sid) are random; a fixed source makes the issued token the same in
	// every fuzzing process, so that seeds from the coordinator match the workers' token.
	uuid.SetRand(strings.NewReader("0123456789abcdef0123456789abcdef"))
	issued, exp, err := iss.Issue(userID)
	uuid.SetRand(nil)
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(issued, ".")
	realSig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		f.Fatal(err)
	}

	f.Add(issued)
	f.Add(issued + "x")
	f.Add(issued[:len(issued)-1])
	f.Add(strings.ToUpper(issued))
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add(parts[0] + ".." + parts[2])
	f.Add("." + parts[1] + "." + parts[2])
	f.Add(parts[1] + "." + parts[0] + "." + parts[2])
	for _, i := range []int{0, len(parts[0]) + 3, len(issued) - 10} {
		b := []byte(issued)
		b[i] ^= 1
		f.Add(string(b))
	}
	f.Add(sign(f, jwt.SigningMethodNone, goodClaims(userID), jwt.UnsafeAllowNoneSignatureType))
	f.Add(sign(f, jwt.SigningMethodHS256, goodClaims(userID), []byte(priv.Public().(ed25519.PublicKey))))
	f.Add("")
	f.Add("...")
	f.Add("eyJhbGciOiJFZERTQSJ9.e30.")

	f.Fuzz(func(t *testing.T, token string) {
		iss.now = func() time.Time { return fixedNow }
		claims, err := iss.Verify(token)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify error %v is not ErrInvalidToken", err)
			}
			return
		}
		if token == issued {
			if claims.UserID != userID || !claims.ExpiresAt.Equal(exp) {
				t.Fatalf("real token verified to %+v", claims)
			}
			return
		}
		// Accepted something else: only acceptable if it is the real token in disguise.
		got := strings.Split(token, ".")
		if len(got) != 3 || got[0] != parts[0] || got[1] != parts[1] {
			t.Fatalf("Verify accepted %q (claims %+v), which Issue did not produce", token, claims)
		}
		sig, derr := base64.RawURLEncoding.DecodeString(got[2])
		if derr != nil || string(sig) != string(realSig) {
			t.Fatalf("Verify accepted %q with a different signature (claims %+v)", token, claims)
		}
		if claims.UserID != userID || !claims.ExpiresAt.Equal(exp) {
			t.Fatalf("re-encoded real token verified to %+v", claims)
		}
	})
}
