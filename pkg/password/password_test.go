package password

import (
	"context"
	"strings"
	"testing"
	"time"
)

// cheap keeps the tests fast; the format and logic are the same as with OWASP.
var cheap = Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap, 2)
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("unexpected encoding %q", enc)
	}
	if ok, err := h.Verify(ctx, "correct horse", enc); err != nil || !ok {
		t.Fatalf("Verify(right) = %v, %v; want true", ok, err)
	}
	if ok, err := h.Verify(ctx, "correct horsE", enc); err != nil || ok {
		t.Fatalf("Verify(wrong) = %v, %v; want false", ok, err)
	}
	other, _ := h.Hash(ctx, "correct horse")
	if other == enc {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestOWASPParamsAreEncoded(t *testing.T) {
	h := NewHasher(OWASP, 1)
	enc, err := h.Hash(context.Background(), "password123")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(enc, "$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the OWASP parameters", enc)
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := NewHasher(cheap, 1)
	for name, enc := range map[string]string{
		"empty":        "",
		"bcrypt":       "$2a$10$abcdefghijklmnopqrstuv",
		"bad version":  "$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"huge memory":  "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"bad base64":   "$argon2id$v=19$m=64,t=1,p=1$!!!$a2V5a2V5a2V5a2V5a2V5a2V5",
		"missing part": "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0",
	} {
		t.Run(name, func(t *testing.T) {
			if ok, err := h.Verify(context.Background(), "x", enc); err != ErrMalformedHash || ok {
				t.Fatalf("Verify = %v, %v; want false, ErrMalformedHash", ok, err)
			}
		})
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	h := NewHasher(cheap, 1)
	h.slots <- struct{}{} // occupy the only slot
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "password"); err != context.DeadlineExceeded {
		t.Fatalf("Hash with no free slot = %v; want DeadlineExceeded", err)
	}
	<-h.slots
	if _, err := h.Hash(context.Background(), "password"); err != nil {
		t.Fatalf("Hash after the slot freed: %v", err)
	}
}

func FuzzVerifyNeverPanics(f *testing.F) {
	h := NewHasher(cheap, 1)
	enc, _ := h.Hash(context.Background(), "seed")
	f.Add("seed", enc)
	f.Add("x", "$argon2id$v=19$m=1,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, pw, enc string) {
		_, _ = h.Verify(context.Background(), pw, enc)
	})
}
