package authn

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

func TestKeyIDIsTheRFC8037Thumbprint(t *testing.T) {
	// RFC 8037 appendix A.2/A.3: the example Ed25519 key and its RFC 7638 thumbprint.
	x, err := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := KeyID(ed25519.PublicKey(x)), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"; got != want {
		t.Fatalf("KeyID = %s; want RFC 8037's %s", got, want)
	}
}

func pubPEM(t testing.TB, pub ed25519.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func TestTokensNameTheirKeyAndVerifiersAcceptAKeySet(t *testing.T) {
	oldPub, oldPriv, _ := ed25519.GenerateKey(rand.Reader)
	newPub, newPriv, _ := ed25519.GenerateKey(rand.Reader)
	_, strayPriv, _ := ed25519.GenerateKey(rand.Reader)
	user := uuid.New()

	oldTok, _, err := NewIssuer(oldPriv, testCfg).Issue(user)
	if err != nil {
		t.Fatal(err)
	}
	newIssuer := NewIssuer(newPriv, testCfg, oldPub)
	newTok, _, err := newIssuer.Issue(user)
	if err != nil {
		t.Fatal(err)
	}
	header, err := jwt.NewParser().DecodeSegment(strings.Split(newTok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := `"kid":"` + KeyID(newPub) + `"`; !strings.Contains(string(header), want) || newIssuer.KeyID() != KeyID(newPub) {
		t.Fatalf("header %s; want %s", header, want)
	}
	strayTok, _, err := NewIssuer(strayPriv, testCfg).Issue(user)
	if err != nil {
		t.Fatal(err)
	}

	// The set as a rotation has it: old and new public keys, one PEM after the other.
	set, err := ParsePublicKeys(append(pubPEM(t, oldPub), pubPEM(t, newPub)...))
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(set, testCfg)
	for name, tok := range map[string]string{"old key": oldTok, "new key": newTok} {
		if claims, err := v.Verify(tok); err != nil || claims.UserID != user {
			t.Errorf("token of the %s: %+v, %v; want accepted", name, claims, err)
		}
	}
	if _, err := v.Verify(strayTok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("token of a key outside the set: %v; want ErrInvalidToken", err)
	}
	// The signing api accepts its own key and the set it was given.
	if _, err := newIssuer.Verify(oldTok); err != nil {
		t.Errorf("issuer with the old key in its set refuses an old token: %v", err)
	}
	// Once the old key is dropped, its tokens are refused.
	if _, err := NewVerifier([]ed25519.PublicKey{newPub}, testCfg).Verify(oldTok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("token of a dropped key: %v; want ErrInvalidToken", err)
	}
}

func TestParsePublicKeysRefusesWhatIsNotAPublicKeySet(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})
	for _, tc := range []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"a private key", privPEM, "PRIVATE key"},
		{"a public key then a private key", append(pubPEM(t, pub), privPEM...), "PRIVATE key"},
		{"the same key twice", append(pubPEM(t, pub), pubPEM(t, pub)...), "twice"},
		{"a certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("x")}), `"CERTIFICATE"`},
		{"empty", nil, "no PEM block"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := ParsePublicKeys(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || keys != nil {
				t.Fatalf("ParsePublicKeys = %d keys, %v; want an error mentioning %q", len(keys), err, tc.wantErr)
			}
		})
	}
	if _, err := ParsePublicKeys(privPEM); !errors.Is(err, ErrPrivateKeyGiven) {
		t.Fatalf("private key: %v; want ErrPrivateKeyGiven", err)
	}
}
