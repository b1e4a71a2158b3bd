package k8schecks

import (
	"crypto/ed25519"
	"encoding/base64"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/taskmesh/taskmesh/pkg/authn"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// secretData decodes the data of Secret manifests: name -> key -> value.
func secretData(t testing.TB, objs []object) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for name, s := range byKind(objs, "Secret") {
		out[name] = map[string]string{}
		data, _ := asMap(get(s, "data"))
		for k, v := range data {
			b, err := base64.StdEncoding.DecodeString(v.(string))
			if err != nil {
				t.Fatalf("Secret %s key %s: %v", name, k, err)
			}
			out[name][k] = string(b)
		}
	}
	return out
}

// TestDevSecretsFitServicesAndChart: deploy/helm/dev-secrets.sh makes the Secrets the
// services read (names and keys of pkg/meshnames) and the in-chart PostgreSQL needs, with
// a key pair the services accept and a database URL that reaches the chart's PostgreSQL.
func TestDevSecretsFitServicesAndChart(t *testing.T) {
	script := filepath.Join(root(t), "deploy", "helm", "dev-secrets.sh")
	out, err := exec.Command(script, "--print", "--namespace", "taskmesh", "--release", "taskmesh").Output()
	if err != nil {
		t.Fatalf("dev-secrets.sh --print: %v", err)
	}
	secrets := secretData(t, parseObjects(t, "dev-secrets.sh --print", out))

	// The password Secret of the chart's PostgreSQL, and its Service.
	objs := localRender(t)
	pg := byKind(objs, "StatefulSet")["taskmesh-postgresql"]
	pgEnv := envOf(get(pg, "spec", "template", "spec", "containers", 0))
	pgSecret, pgKey, _ := strings.Cut(strings.TrimPrefix(pgEnv["POSTGRES_PASSWORD"], "secret:"), "/")
	if _, ok := byKind(objs, "Service")["taskmesh-postgresql"]; !ok || pgSecret == "" {
		t.Fatalf("the chart (values-local) has no PostgreSQL Service or password Secret: %v", pgEnv)
	}

	want := map[string]bool{pgSecret: true}
	for s := range secretNames() {
		want[s] = true
		if _, ok := secrets[s][s]; !ok || len(secrets[s]) != 1 {
			t.Errorf("Secret %s: keys %v, want exactly %s", s, sorted(secrets[s]), s)
		}
	}
	// Each service's app API token, under the name its pods refer to, in key "token" (the
	// key Dapr's sidecar injector reads).
	for name, d := range byKind(objs, "Deployment") {
		containers, _ := get(d, "spec", "template", "spec", "containers").([]any)
		for _, c := range containers {
			ref := envOf(c)["APP_API_TOKEN"]
			if ref == "" {
				continue
			}
			tokSecret, key, _ := strings.Cut(strings.TrimPrefix(ref, "secret:"), "/")
			sidecar := str(d, "spec", "template", "metadata", "annotations", "dapr.io/app-token-secret")
			if key != "token" || sidecar != tokSecret {
				t.Errorf("Deployment %s: APP_API_TOKEN from %s, sidecar from %q; want the same Secret, key token", name, ref, sidecar)
			}
			if len(secrets[tokSecret]["token"]) < 32 {
				t.Errorf("Secret %s: token %q is missing or shorter than 32 characters", tokSecret, secrets[tokSecret]["token"])
			}
			want[tokSecret] = true
		}
	}
	if !equalSets(setOf(sorted(secrets)...), want) {
		t.Errorf("dev-secrets.sh makes %v, want %v", sorted(secrets), sorted(want))
	}

	priv, err := authn.LoadPrivateKey([]byte(secrets[meshnames.SigningKeySecret][meshnames.SigningKeySecret]))
	if err != nil {
		t.Fatalf("auth-signing-key: %v", err)
	}
	pub, err := authn.LoadPublicKey([]byte(secrets[meshnames.VerifyKeySecret][meshnames.VerifyKeySecret]))
	if err != nil {
		t.Fatalf("auth-verify-key: %v", err)
	}
	if !ed25519.Verify(pub, []byte("x"), ed25519.Sign(priv, []byte("x"))) {
		t.Error("auth-verify-key is not the public half of auth-signing-key")
	}

	u, err := url.Parse(secrets[meshnames.DatabaseURLSecret][meshnames.DatabaseURLSecret])
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	if u.Scheme != "postgres" || u.Host != "taskmesh-postgresql.taskmesh.svc.cluster.local:5432" ||
		u.User.Username() != pgEnv["POSTGRES_USER"] || u.Path != "/"+pgEnv["POSTGRES_DB"] ||
		password == "" || password != secrets[pgSecret][pgKey] {
		t.Errorf("database-url %s does not reach the chart's PostgreSQL (%v) with its password", u.Redacted(), pgEnv)
	}
}

// fakeKubectl is a kubectl for dev-secrets.sh that keeps Secrets as files in dir.
const fakeKubectl = `#!/usr/bin/env bash
set -euo pipefail
dir="$FAKE_KUBE_DIR"
args=()
while (($#)); do
  case "$1" in
    --namespace) shift 2 ;;
    --ignore-not-found) shift ;;
    -o) out="$2"; shift 2 ;;
    -f) file="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
case "${args[0]} ${args[1]:-}" in
  "config current-context") echo fake ;;
  "get secret")
    f="$dir/${args[2]}"
    [[ -f "$f" ]] || exit 1
    if [[ "${out:-}" == "jsonpath={.data.password}" ]]; then
      sed -n 's/^  password: //p' "$f" | tr -d '\n'
    fi ;;
  "delete secret") for n in "${args[@]:2}"; do rm -f "$dir/$n"; done ;;
  "create ")
    awk -v dir="$dir" '
      /^---$/ { if (name) close(dir "/" name); name=""; buf=""; next }
      { buf = buf $0 "\n" }
      /^  name: / && !name { name=$2 }
      name { printf "%s", buf > (dir "/" name); buf="" }
    ' "$file" ;;
  *) echo "fake kubectl: unexpected: ${args[*]}" >&2; exit 2 ;;
esac
`

// TestDevSecretsCreateOnce: dev-secrets.sh (as the Tiltfile runs it on every `tilt up`)
// creates the Secrets once and then keeps them, so that sessions and the PostgreSQL volume
// survive; a lost half of the key pair gets a new pair.
func TestDevSecretsCreateOnce(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	store := filepath.Join(dir, "secrets")
	for _, d := range []string{bin, store} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(fakeKubectl), 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root(t), "deploy", "helm", "dev-secrets.sh")
	run := func() map[string]string {
		t.Helper()
		cmd := exec.Command(script, "--namespace", "taskmesh")
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_KUBE_DIR="+store)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("dev-secrets.sh: %v\n%s", err, out)
		}
		files, _ := os.ReadDir(store)
		got := map[string]string{}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(store, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			got[f.Name()] = string(b)
		}
		return got
	}

	first := run()
	if len(first) != 4+6 { // and an app API token per service
		t.Fatalf("first run made %v, want 10 Secrets", sorted(first))
	}
	second := run()
	for name, v := range first {
		if second[name] != v {
			t.Errorf("second run changed Secret %s", name)
		}
	}
	if err := os.Remove(filepath.Join(store, meshnames.VerifyKeySecret)); err != nil {
		t.Fatal(err)
	}
	third := run()
	if third[meshnames.SigningKeySecret] == first[meshnames.SigningKeySecret] || third[meshnames.VerifyKeySecret] == "" {
		t.Error("without auth-verify-key, the key pair must be made anew")
	}
	for _, name := range []string{meshnames.DatabaseURLSecret, "taskmesh-postgresql", "taskmesh-api-app-token"} {
		if third[name] != first[name] {
			t.Errorf("Secret %s changed", name)
		}
	}
}
