package k8schecks

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

const chartDir = "deploy/helm/taskmesh"

// root is the repository root (two levels above this package).
func root(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, chartDir, "Chart.yaml")); err != nil {
		t.Fatalf("repository root not found above the test's directory: %v", err)
	}
	return dir
}

var (
	toolsOnce sync.Once
	toolsDir  string
	toolsErr  error
)

// tool returns the path of a pinned tool of tools/k8s (helm, kubeconform), installing them
// on first use (deploy/k8s-checks/tools.sh).
func tool(t testing.TB, name string) string {
	t.Helper()
	toolsOnce.Do(func() {
		cmd := exec.Command(filepath.Join(root(t), "deploy", "k8s-checks", "tools.sh"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			toolsErr = fmt.Errorf("deploy/k8s-checks/tools.sh: %w\n%s", err, stderr.String())
			return
		}
		toolsDir = strings.TrimSpace(string(out))
	})
	if toolsErr != nil {
		t.Fatal(toolsErr)
	}
	return filepath.Join(toolsDir, name)
}

// versions reads deploy/k8s-checks/versions.env.
func versions(t testing.TB) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), "deploy", "k8s-checks", "versions.env"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("versions.env: bad line %q", line)
		}
		out[k] = v
	}
	return out
}

// object is one rendered Kubernetes object.
type object map[string]any

func (o object) kind() string { s, _ := o["kind"].(string); return s }
func (o object) name() string { return str(o, "metadata", "name") }

// get walks maps by key (and lists by index given as int).
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := asMap(v)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case object:
		return m, true
	}
	return nil, false
}

// str is get as a string ("" when missing; numbers and booleans formatted).
func str(v any, path ...any) string {
	switch x := get(v, path...).(type) {
	case nil:
		return ""
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

// strs is get as a list of strings.
func strs(v any, path ...any) []string {
	l, _ := get(v, path...).([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// parseObjects decodes a YAML stream of objects, skipping empty documents.
func parseObjects(t testing.TB, what string, b []byte) []object {
	t.Helper()
	var out []object
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if m != nil {
			out = append(out, object(m))
		}
	}
	return out
}

var (
	renderMu    sync.Mutex
	renderCache = map[string][]object{}
)

// render runs `helm template` on the chart with args (values files are relative to the
// chart) and returns the objects.
func render(t testing.TB, args ...string) []object {
	t.Helper()
	key := strings.Join(args, "\x00")
	renderMu.Lock()
	defer renderMu.Unlock()
	if objs, ok := renderCache[key]; ok {
		return objs
	}
	dir := filepath.Join(root(t), chartDir)
	full := append([]string{"template", "taskmesh", dir, "--namespace", "taskmesh",
		"--kube-version", versions(t)["K8S_VERSION"]}, args...)
	cmd := exec.Command(tool(t, "helm"), full...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(full, " "), err, stderr.String())
	}
	objs := parseObjects(t, "helm template", out)
	renderCache[key] = objs
	return objs
}

// allServices are helm arguments that enable every service of values.yaml.
func allServices(t testing.TB) []string {
	t.Helper()
	var args []string
	for _, name := range sorted(chartValues(t).Services) {
		args = append(args, "--set", "services."+name+".enabled=true")
	}
	return args
}

// localRender is values-local.yaml with every service enabled: the release `make run`'s
// mesh corresponds to.
func localRender(t testing.TB) []object {
	t.Helper()
	return render(t, append([]string{"-f", "values-local.yaml"}, allServices(t)...)...)
}

// byKind returns the objects of a kind, by name.
func byKind(objs []object, kind string) map[string]object {
	out := map[string]object{}
	for _, o := range objs {
		if o.kind() == kind {
			out[o.name()] = o
		}
	}
	return out
}

// valuesFile is the part of values.yaml the tests read.
type valuesFile struct {
	Services map[string]struct {
		Enabled       bool                `yaml:"enabled"`
		Port          int                 `yaml:"port"`
		Migrations    bool                `yaml:"migrations"`
		Secrets       []string            `yaml:"secrets"`
		Callers       map[string][]string `yaml:"callers"`
		Subscriptions []struct {
			Name, Pubsub, Topic, Route string
		} `yaml:"subscriptions"`
	} `yaml:"services"`
}

func chartValues(t testing.TB) valuesFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root(t), chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v valuesFile
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	if len(v.Services) == 0 {
		t.Fatal("values.yaml: no services")
	}
	return v
}

var placeholder = regexp.MustCompile(`\{\{[^}]*\}\}`)

// localResources parses deploy/dapr/local/*.yaml, whose Go template placeholders (all in
// quoted strings) become "placeholder".
func localResources(t testing.TB) []object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root(t), "deploy", "dapr", "local", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no deploy/dapr/local/*.yaml: %v", err)
	}
	var out []object
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, parseObjects(t, f, placeholder.ReplaceAll(b, []byte("placeholder")))...)
	}
	return out
}

// sorted returns the keys of a set, sorted.
func sorted[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func setOf(items ...string) map[string]bool {
	out := map[string]bool{}
	for _, s := range items {
		out[s] = true
	}
	return out
}

func equalSets(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
