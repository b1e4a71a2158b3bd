package dapr_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOnlyThisTreeImportsDapr keeps Dapr in one place: no Go file of the module outside
// pkg/dapr imports github.com/dapr/..., not even a test (tests use the tree's own types:
// publishtest.Recorder, appcallback.App.Deliver). The files are parsed here rather than
// listed with `go list`, so that go test's cache sees them and reruns the check when one
// changes.
func TestOnlyThisTreeImportsDapr(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	tree := filepath.Join(root, "pkg", "dapr")
	var files, treeUsesDapr int
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == root {
				return nil
			}
			switch d.Name() {
			case ".git", "node_modules", "testdata", "vendor":
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		inTree := strings.HasPrefix(path, tree+string(filepath.Separator))
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, "github.com/dapr/") {
				continue
			}
			if inTree {
				treeUsesDapr++
				continue
			}
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s imports %s: only pkg/dapr/... may; use (or add to) the tree's packages", rel, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Guard against a walk that sees nothing (a wrong root would pass vacuously).
	if files < 100 || treeUsesDapr == 0 {
		t.Fatalf("read %d Go files, %d Dapr imports inside pkg/dapr; the check is not looking at the module", files, treeUsesDapr)
	}
}
