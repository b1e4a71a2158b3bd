package gateway

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/taskmesh/taskmesh/pkg/dapr/publish/publishtest"
)

func TestFrontendServesFilesAndFallsBackToIndex(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "assets"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "index.html"), []byte("<html>app</html>"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "assets", "main-abc123.js"), []byte("console.log(1)"), 0o644))
	h := frontend(dir)
	cases := []struct {
		method, path string
		status       int
		body, cache  string
	}{
		{"GET", "/", 200, "<html>app</html>", "no-cache"},
		{"GET", "/tasks/123?view=all", 200, "<html>app</html>", "no-cache"}, // a client-side route
		{"GET", "/assets/main-abc123.js", 200, "console.log(1)", "immutable"},
		{"HEAD", "/", 200, "", "no-cache"},
		{"POST", "/taskmesh.internal.v1.TaskInternalService/GetChangeSeq", 404, "", ""},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.status {
			t.Fatalf("%s %s = %d; want %d", c.method, c.path, rec.Code, c.status)
		}
		if c.body != "" && rec.Body.String() != c.body {
			t.Fatalf("%s %s body %q; want %q", c.method, c.path, rec.Body.String(), c.body)
		}
		if c.cache != "" && !strings.Contains(rec.Header().Get("Cache-Control"), c.cache) {
			t.Fatalf("%s %s Cache-Control %q; want %q", c.method, c.path, rec.Header().Get("Cache-Control"), c.cache)
		}
	}
}

func TestFrontendPlaceholderWithoutABuild(t *testing.T) {
	rec := httptest.NewRecorder()
	frontend(t.TempDir()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "has not been built yet") {
		t.Fatalf("placeholder = %d %q", rec.Code, rec.Body.String())
	}
}

// TestNewNeedsAPublisher: the gateway mounts Dapr's callbacks (for app health), and a
// stray event on them is dead-lettered, so a gateway without a publisher is refused at
// start rather than failing on the first such event.
func TestNewNeedsAPublisher(t *testing.T) {
	_, err := New(Config{SidecarAddr: "127.0.0.1:1", RealtimeURL: "http://127.0.0.1:2"})
	if err == nil || !strings.Contains(err.Error(), "publisher") {
		t.Fatalf("New without a publisher: %v; want an error naming the publisher", err)
	}
	if _, err := New(Config{SidecarAddr: "127.0.0.1:1", RealtimeURL: "http://127.0.0.1:2", Publisher: &publishtest.Recorder{}}); err != nil {
		t.Fatalf("New with a publisher: %v", err)
	}
}
