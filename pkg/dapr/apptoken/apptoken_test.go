package apptoken_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/taskmesh/taskmesh/pkg/dapr/apptoken"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	secret := strings.Repeat("a", apptoken.MinLength)
	if _, err := apptoken.FromEnv(env(nil)); !errors.Is(err, apptoken.ErrMissing) {
		t.Fatalf("no token: %v; want ErrMissing", err)
	}
	if _, err := apptoken.FromEnv(env(map[string]string{apptoken.EnvVar: "short"})); err == nil {
		t.Fatal("a short token was accepted")
	}
	tok, err := apptoken.FromEnv(env(map[string]string{apptoken.EnvVar: secret}))
	if err != nil || !tok.Matches([]string{secret}) {
		t.Fatalf("from the variable: %v", err)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err = apptoken.FromEnv(env(map[string]string{apptoken.EnvVar + "_FILE": file}))
	if err != nil || !tok.Matches([]string{secret}) {
		t.Fatalf("from the file: %v", err)
	}
}

func TestMatchesTakesTheLastValue(t *testing.T) {
	secret := strings.Repeat("b", 40)
	tok, _ := apptoken.New(secret)
	for _, c := range []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{secret}, true},
		{[]string{"forged", secret}, true},
		{[]string{secret, "forged"}, false},
		{[]string{secret + "x"}, false},
		{[]string{secret[:39]}, false},
	} {
		if got := tok.Matches(c.values); got != c.want {
			t.Errorf("Matches(%q) = %v; want %v", c.values, got, c.want)
		}
	}
	if (apptoken.Token{}).Matches([]string{""}) {
		t.Error("the zero Token matched an empty value")
	}
}

func TestLast(t *testing.T) {
	h := http.Header{}
	if apptoken.Last(h, "Dapr-Caller-App-Id") != "" {
		t.Fatal("empty header")
	}
	h.Add("Dapr-Caller-App-Id", "web, recurring")
	h.Add("Dapr-Caller-App-Id", "recurring,  web ")
	if got := apptoken.Last(h, "dapr-caller-app-id"); got != "web" {
		t.Fatalf("Last = %q; want web", got)
	}
}
