// Command tiltcheck executes a Tiltfile the way Tilt does (the go.starlark.net and file
// options of Tilt v0.37), against stubs of the Tilt functions it calls, and checks what
// Tilt would check when it loads the file, without Tilt, Docker or a cluster:
//
//   - the file parses and runs; every call uses parameters Tilt's function has (the stubs
//     declare Tilt's parameter names, from its internal/tiltfile/api/__init__.py);
//
//   - helm() renders the chart (the pinned helm, $HELM) and read_yaml() reads the files;
//
//   - k8s_resource() names existing workloads, and its objects are unique fragments of
//     objects no other resource took (Tilt's assembly: workloads are the objects whose pod
//     templates use an image built here, Services join the workload they select, other pod
//     templates become resources by name);
//
//   - resource_deps name resources that exist, without cycles;
//
//   - every image of the chart's workloads that is built here has a docker_build, and
//     every docker_build is used;
//
//   - local_resource deps and the scripts commands run exist;
//
//   - no object is left out of a resource (Tilt's "uncategorized"), and the extension repo
//     is pinned to a commit.
//
//     HELM=/path/to/helm K8S_VERSION=1.34.4 tiltcheck path/to/Tiltfile
package main

import (
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

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
	"gopkg.in/yaml.v3"
)

// fileOptions are Tilt's (internal/tiltfile/starkit/environment.go).
var fileOptions = &syntax.FileOptions{Set: true, GlobalReassign: true, Recursion: true, TopLevelControl: true, While: true}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: HELM=helm K8S_VERSION=x.y.z tiltcheck <Tiltfile>")
		os.Exit(2)
	}
	c, err := check(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "tiltcheck:", err)
		os.Exit(1)
	}
	if len(c.problems) > 0 {
		for _, p := range c.problems {
			fmt.Fprintln(os.Stderr, "tiltcheck:", p)
		}
		os.Exit(1)
	}
	fmt.Println(c.summary())
}

// blob is Tilt's Blob: text that str() returns.
type blob string

func (b blob) String() string        { return string(b) }
func (b blob) Type() string          { return "blob" }
func (b blob) Freeze()               {}
func (b blob) Truth() starlark.Bool  { return len(b) > 0 }
func (b blob) Hash() (uint32, error) { return 0, errors.New("unhashable type: blob") }

type entity struct {
	obj      map[string]any
	kind     string
	name     string
	ns       string
	resource string // owning resource, "" while unresourced
}

func (e *entity) fullName() string {
	return strings.ToLower(e.name + ":" + e.kind + ":" + e.ns)
}

type resource struct {
	name string
	deps []string
	kind string // local, k8s
}

type checker struct {
	dir        string
	problems   []string
	entities   []*entity
	images     map[string]bool // docker_build refs
	usedImages map[string]bool
	resources  map[string]*resource
	order      []string
	k8sOpts    []k8sOpts
	extRepo    bool
}

type k8sOpts struct {
	workload, newName string
	deps, objects     []string
}

func (c *checker) problem(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func check(tiltfile string) (*checker, error) {
	abs, err := filepath.Abs(tiltfile)
	if err != nil {
		return nil, err
	}
	c := &checker{dir: filepath.Dir(abs), images: map[string]bool{}, usedImages: map[string]bool{}, resources: map[string]*resource{}}
	src, err := os.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	thread := &starlark.Thread{
		Name:  "tiltcheck",
		Print: func(_ *starlark.Thread, msg string) { fmt.Println(msg) },
		Load:  c.load,
	}
	if _, err := starlark.ExecFileOptions(fileOptions, thread, abs, src, c.predeclared()); err != nil {
		var evalErr *starlark.EvalError
		if errors.As(err, &evalErr) {
			return nil, errors.New(evalErr.Backtrace())
		}
		return nil, err
	}
	c.assemble()
	return c, nil
}

func (c *checker) summary() string {
	var k8s, local []string
	for _, name := range c.order {
		if c.resources[name].kind == "k8s" {
			k8s = append(k8s, name)
		} else {
			local = append(local, name)
		}
	}
	return fmt.Sprintf("Tiltfile ok: %d images; resources: local %s; k8s %s",
		len(c.images), strings.Join(local, ", "), strings.Join(k8s, ", "))
}

// path resolves a path of the Tiltfile (relative to its directory).
func (c *checker) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

func (c *checker) exists(what, p string) {
	if _, err := os.Stat(c.path(p)); err != nil {
		c.problem("%s: %s does not exist", what, p)
	}
}

func (c *checker) addResource(name, kind string, deps []string) error {
	if _, dup := c.resources[name]; dup {
		return fmt.Errorf("resource %q defined twice", name)
	}
	c.resources[name] = &resource{name: name, kind: kind, deps: deps}
	c.order = append(c.order, name)
	return nil
}

func builtin(name string, fn func(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error)) *starlark.Builtin {
	return starlark.NewBuiltin(name, func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		return fn(thread, args, kwargs)
	})
}

// ignored is a target for parameters whose value the checks do not need.
func ignored() *starlark.Value { var v starlark.Value; return &v }

func strList(v starlark.Value) ([]string, error) {
	switch x := v.(type) {
	case nil, starlark.NoneType:
		return nil, nil
	case starlark.String:
		return []string{string(x)}, nil
	case starlark.Iterable:
		var out []string
		it := x.Iterate()
		defer it.Done()
		var item starlark.Value
		for it.Next(&item) {
			s, ok := starlark.AsString(item)
			if !ok {
				return nil, fmt.Errorf("want strings, got %s", item.Type())
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a string or list of strings, got %s", v.Type())
}

func (c *checker) predeclared() starlark.StringDict {
	noop := func(name string, params ...string) *starlark.Builtin {
		return builtin(name, func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			pairs := make([]any, 0, 2*len(params))
			for _, p := range params {
				pairs = append(pairs, p, ignored())
			}
			return starlark.None, starlark.UnpackArgs(name, args, kwargs, pairs...)
		})
	}
	return starlark.StringDict{
		"version_settings":   noop("version_settings", "check_updates?", "constraint?"),
		"allow_k8s_contexts": noop("allow_k8s_contexts", "contexts"),
		"watch_settings":     noop("watch_settings", "ignore"),
		"os": starlarkstruct.FromStringDict(starlark.String("os"), starlark.StringDict{
			"getenv": builtin("os.getenv", func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
				var key string
				var def starlark.Value = starlark.None
				if err := starlark.UnpackArgs("os.getenv", args, kwargs, "key", &key, "default?", &def); err != nil {
					return nil, err
				}
				return def, nil // as if unset: the checks run the defaults
			}),
			"getcwd": builtin("os.getcwd", func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
				return starlark.String(c.dir), starlark.UnpackArgs("os.getcwd", args, kwargs)
			}),
		}),
		"v1alpha1": starlarkstruct.FromStringDict(starlark.String("v1alpha1"), starlark.StringDict{
			"extension_repo": builtin("v1alpha1.extension_repo", func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
				var name, url, ref string
				if err := starlark.UnpackArgs("v1alpha1.extension_repo", args, kwargs, "name", &name,
					"labels?", ignored(), "annotations?", ignored(), "url?", &url, "ref?", &ref); err != nil {
					return nil, err
				}
				if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(ref) {
					c.problem("extension repo %s is not pinned to a commit (ref %q)", name, ref)
				}
				c.extRepo = name == "default"
				return starlark.None, nil
			}),
		}),
		"local":              builtin("local", c.local),
		"read_yaml":          builtin("read_yaml", c.readYAML),
		"decode_yaml_stream": builtin("decode_yaml_stream", c.decodeYAMLStream),
		"local_resource":     builtin("local_resource", c.localResource),
		"docker_build":       builtin("docker_build", c.dockerBuild),
		"sync": builtin("sync", func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var local, remote string
			if err := starlark.UnpackArgs("sync", args, kwargs, "local_path", &local, "remote_path", &remote); err != nil {
				return nil, err
			}
			return starlark.String("sync:" + local + ":" + remote), nil
		}),
		"run": builtin("run", func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return starlark.String("run"), starlark.UnpackArgs("run", args, kwargs, "cmd", ignored(), "trigger?", ignored(), "echo_off?", ignored())
		}),
		"helm":         builtin("helm", c.helm),
		"k8s_yaml":     builtin("k8s_yaml", c.k8sYAML),
		"k8s_resource": builtin("k8s_resource", c.k8sResource),
		"port_forward": builtin("port_forward", func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			var local int
			if err := starlark.UnpackArgs("port_forward", args, kwargs, "local_port", &local, "container_port?", ignored(),
				"name?", ignored(), "link_path?", ignored(), "host?", ignored()); err != nil {
				return nil, err
			}
			return starlark.MakeInt(local), nil
		}),
		"link": builtin("link", func(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			return starlark.String("link"), starlark.UnpackArgs("link", args, kwargs, "url", ignored(), "name?", ignored())
		}),
	}
}

// load serves the Tilt extensions the Tiltfile loads.
func (c *checker) load(_ *starlark.Thread, module string) (starlark.StringDict, error) {
	if !c.extRepo {
		return nil, fmt.Errorf("load(%q) before v1alpha1.extension_repo(name='default', ...) pins the extensions", module)
	}
	switch module {
	case "ext://restart_process":
		return starlark.StringDict{"docker_build_with_restart": builtin("docker_build_with_restart", c.dockerBuildWithRestart)}, nil
	}
	return nil, fmt.Errorf("tiltcheck has no stub for %s", module)
}

var localCommands = []struct {
	re  *regexp.Regexp
	out string
}{
	{regexp.MustCompile(`^kubectl get nodes .*nodeInfo\.architecture`), "amd64"},
	{regexp.MustCompile(`^mkdir -p [^;&|]+$`), ""},
}

func (c *checker) local(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cmd string
	if err := starlark.UnpackArgs("local", args, kwargs, "command", &cmd, "quiet?", ignored(), "command_bat?", ignored(),
		"echo_off?", ignored(), "env?", ignored(), "dir?", ignored(), "stdin?", ignored()); err != nil {
		return nil, err
	}
	for _, lc := range localCommands {
		if lc.re.MatchString(cmd) {
			return blob(lc.out + "\n"), nil
		}
	}
	return nil, fmt.Errorf("local(%q): tiltcheck does not know this command (add it to localCommands)", cmd)
}

func (c *checker) readYAML(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := starlark.UnpackArgs("read_yaml", args, kwargs, "path", &path, "default?", ignored()); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(c.path(path))
	if err != nil {
		return nil, err
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("read_yaml(%s): %w", path, err)
	}
	return toStarlark(v)
}

func (c *checker) decodeYAMLStream(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var text starlark.Value
	if err := starlark.UnpackArgs("decode_yaml_stream", args, kwargs, "yaml", &text); err != nil {
		return nil, err
	}
	src := text.String() // a blob
	if s, ok := text.(starlark.String); ok {
		src = string(s)
	}
	docs, err := decodeStream(src)
	if err != nil {
		return nil, err
	}
	list := make([]starlark.Value, 0, len(docs))
	for _, d := range docs {
		v, err := toStarlark(d)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return starlark.NewList(list), nil
}

func decodeStream(text string) ([]map[string]any, error) {
	var out []map[string]any
	dec := yaml.NewDecoder(strings.NewReader(text))
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if m != nil {
			out = append(out, m)
		}
	}
}

func toStarlark(v any) (starlark.Value, error) {
	switch x := v.(type) {
	case nil:
		return starlark.None, nil
	case string:
		return starlark.String(x), nil
	case bool:
		return starlark.Bool(x), nil
	case int:
		return starlark.MakeInt(x), nil
	case float64:
		return starlark.Float(x), nil
	case []any:
		list := make([]starlark.Value, 0, len(x))
		for _, item := range x {
			sv, err := toStarlark(item)
			if err != nil {
				return nil, err
			}
			list = append(list, sv)
		}
		return starlark.NewList(list), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := starlark.NewDict(len(x))
		for _, k := range keys {
			sv, err := toStarlark(x[k])
			if err != nil {
				return nil, err
			}
			if err := d.SetKey(starlark.String(k), sv); err != nil {
				return nil, err
			}
		}
		return d, nil
	}
	return nil, fmt.Errorf("unsupported YAML value %T", v)
}

// scriptOf returns the script a shell command runs first (after VAR=value words), if it
// is a path.
func scriptOf(cmd string) string {
	for _, w := range strings.Fields(cmd) {
		if strings.Contains(w, "=") && !strings.Contains(w, "/") {
			continue
		}
		if strings.Contains(w, "/") {
			return w
		}
		return ""
	}
	return ""
}

func (c *checker) localResource(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, cmd string
	var deps, ignore, resourceDeps starlark.Value
	if err := starlark.UnpackArgs("local_resource", args, kwargs, "name", &name, "cmd", &cmd,
		"deps?", &deps, "trigger_mode?", ignored(), "resource_deps?", &resourceDeps, "ignore?", &ignore,
		"auto_init?", ignored(), "serve_cmd?", ignored(), "cmd_bat?", ignored(), "serve_cmd_bat?", ignored(),
		"allow_parallel?", ignored(), "links?", ignored(), "labels?", ignored(), "env?", ignored(),
		"serve_env?", ignored(), "readiness_probe?", ignored(), "dir?", ignored(), "serve_dir?", ignored()); err != nil {
		return nil, err
	}
	depList, err := strList(deps)
	if err != nil {
		return nil, fmt.Errorf("local_resource %s: deps: %w", name, err)
	}
	for _, d := range depList {
		c.exists("local_resource "+name+" deps", d)
	}
	if _, err := strList(ignore); err != nil {
		return nil, fmt.Errorf("local_resource %s: ignore: %w", name, err)
	}
	if s := scriptOf(cmd); s != "" {
		c.exists("local_resource "+name+" cmd", s)
	}
	rd, err := strList(resourceDeps)
	if err != nil {
		return nil, fmt.Errorf("local_resource %s: resource_deps: %w", name, err)
	}
	return starlark.None, c.addResource(name, "local", rd)
}

var dockerBuildParams = []string{"build_args", "dockerfile", "dockerfile_contents", "live_update",
	"match_in_env_vars", "ignore", "only", "entrypoint", "target", "ssh", "network", "secret",
	"extra_tag", "container_args", "cache_from", "pull", "platform", "extra_hosts"}

func (c *checker) dockerBuild(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ref, context string
	var dockerfile string = "Dockerfile"
	var liveUpdate *starlark.List
	pairs := []any{"ref", &ref, "context", &context}
	for _, p := range dockerBuildParams {
		switch p {
		case "dockerfile":
			pairs = append(pairs, p+"?", &dockerfile)
		case "live_update":
			pairs = append(pairs, p+"?", &liveUpdate)
		default:
			pairs = append(pairs, p+"?", ignored())
		}
	}
	if err := starlark.UnpackArgs("docker_build", args, kwargs, pairs...); err != nil {
		return nil, err
	}
	c.checkSyncs(ref, context, liveUpdate)
	return starlark.None, c.addImage(ref, dockerfile)
}

// checkSyncs: Tilt refuses a live update sync whose source is outside the image's build
// context (it would never see the file change).
func (c *checker) checkSyncs(ref, context string, liveUpdate *starlark.List) {
	if liveUpdate == nil {
		return
	}
	ctx := filepath.Clean(c.path(context))
	for i := 0; i < liveUpdate.Len(); i++ {
		step, _ := starlark.AsString(liveUpdate.Index(i))
		if !strings.HasPrefix(step, "sync:") {
			continue
		}
		local, _, _ := strings.Cut(strings.TrimPrefix(step, "sync:"), ":")
		l := filepath.Clean(c.path(local))
		if l != ctx && !strings.HasPrefix(l, ctx+string(filepath.Separator)) {
			c.problem("docker_build %s: sync source %s is not inside the build context %s", ref, local, context)
		}
	}
}

func (c *checker) addImage(ref, dockerfile string) error {
	if c.images[ref] {
		return fmt.Errorf("docker_build %s twice", ref)
	}
	c.images[ref] = true
	c.exists("docker_build "+ref+" dockerfile", dockerfile)
	return nil
}

// dockerBuildWithRestart mirrors the restart_process extension: the image is built with
// docker_build's arguments, and live update must have steps.
func (c *checker) dockerBuildWithRestart(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ref, context string
	var entrypoint starlark.Value
	var liveUpdate *starlark.List
	var dockerfile string = "Dockerfile"
	pairs := []any{"ref", &ref, "context", &context, "entrypoint", &entrypoint, "live_update", &liveUpdate,
		"base_suffix?", ignored(), "restart_file?", ignored(), "trigger?", ignored(), "exit_policy?", ignored()}
	for _, p := range dockerBuildParams {
		switch p {
		case "live_update":
			continue
		case "dockerfile":
			pairs = append(pairs, p+"?", &dockerfile)
		default:
			pairs = append(pairs, p+"?", ignored())
		}
	}
	if err := starlark.UnpackArgs("docker_build_with_restart", args, kwargs, pairs...); err != nil {
		return nil, err
	}
	if liveUpdate == nil || liveUpdate.Len() == 0 {
		return nil, fmt.Errorf("docker_build_with_restart %s: needs at least one live_update step", ref)
	}
	if _, err := strList(entrypoint); err != nil {
		return nil, fmt.Errorf("docker_build_with_restart %s: entrypoint: %w", ref, err)
	}
	c.checkSyncs(ref, context, liveUpdate)
	return starlark.None, c.addImage(ref, dockerfile)
}

func (c *checker) helm(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var chart, name, namespace, kubeVersion string
	var values, set starlark.Value
	if err := starlark.UnpackArgs("helm", args, kwargs, "pathToChartDir", &chart, "name?", &name,
		"namespace?", &namespace, "values?", &values, "set?", &set, "kube_version?", &kubeVersion,
		"skip_crds?", ignored()); err != nil {
		return nil, err
	}
	valueFiles, err := strList(values)
	if err != nil {
		return nil, fmt.Errorf("helm: values: %w", err)
	}
	sets, err := strList(set)
	if err != nil {
		return nil, fmt.Errorf("helm: set: %w", err)
	}
	if kubeVersion == "" {
		kubeVersion = os.Getenv("K8S_VERSION")
	}
	helmArgs := []string{"template", name, c.path(chart), "--include-crds"}
	if namespace != "" {
		helmArgs = append(helmArgs, "--namespace", namespace)
	}
	if kubeVersion != "" {
		helmArgs = append(helmArgs, "--kube-version", kubeVersion)
	}
	for _, f := range valueFiles {
		helmArgs = append(helmArgs, "--values", c.path(f))
	}
	for _, s := range sets {
		helmArgs = append(helmArgs, "--set", s)
	}
	bin := os.Getenv("HELM")
	if bin == "" {
		bin = "helm"
	}
	cmd := exec.Command(bin, helmArgs...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("helm %s: %w\n%s", strings.Join(helmArgs, " "), err, stderr.String())
	}
	return blob(out), nil
}

func (c *checker) k8sYAML(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var y starlark.Value
	if err := starlark.UnpackArgs("k8s_yaml", args, kwargs, "yaml", &y, "allow_duplicates?", ignored()); err != nil {
		return nil, err
	}
	var text string
	switch v := y.(type) {
	case blob:
		text = string(v)
	case starlark.String:
		b, err := os.ReadFile(c.path(string(v)))
		if err != nil {
			return nil, err
		}
		text = string(b)
	default:
		return nil, fmt.Errorf("k8s_yaml: tiltcheck handles a blob or one file, got %s", y.Type())
	}
	docs, err := decodeStream(text)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		e := &entity{obj: d, kind: str(d, "kind"), name: str(d, "metadata", "name"), ns: str(d, "metadata", "namespace")}
		for _, other := range c.entities {
			if other.fullName() == e.fullName() {
				return nil, fmt.Errorf("k8s_yaml: %s twice", e.fullName())
			}
		}
		c.entities = append(c.entities, e)
	}
	return starlark.None, nil
}

func (c *checker) k8sResource(_ *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var workload, newName string
	var deps, objects, forwards starlark.Value
	if err := starlark.UnpackArgs("k8s_resource", args, kwargs, "workload?", &workload, "new_name?", &newName,
		"port_forwards?", &forwards, "extra_pod_selectors?", ignored(), "trigger_mode?", ignored(),
		"resource_deps?", &deps, "objects?", &objects, "auto_init?", ignored(), "pod_readiness?", ignored(),
		"links?", ignored(), "labels?", ignored(), "discovery_strategy?", ignored()); err != nil {
		return nil, err
	}
	rd, err := strList(deps)
	if err != nil {
		return nil, fmt.Errorf("k8s_resource: resource_deps: %w", err)
	}
	objs, err := strList(objects)
	if err != nil {
		return nil, fmt.Errorf("k8s_resource: objects: %w", err)
	}
	if workload == "" && newName == "" {
		return nil, errors.New("k8s_resource: needs a workload or a new_name")
	}
	if workload == "" && len(objs) == 0 {
		return nil, errors.New("k8s_resource doesn't specify a workload or any objects")
	}
	c.k8sOpts = append(c.k8sOpts, k8sOpts{workload: workload, newName: newName, deps: rd, objects: objs})
	return starlark.None, nil
}

// podImages returns the images of an object's pod template (containers and init
// containers), or nil when it has none.
func podImages(obj map[string]any) ([]string, bool) {
	spec := get(obj, "spec", "template", "spec")
	if str(obj, "kind") == "Pod" {
		spec = get(obj, "spec")
	}
	if spec == nil {
		return nil, false
	}
	var out []string
	for _, key := range []string{"initContainers", "containers"} {
		list, _ := get(spec, key).([]any)
		for _, ctr := range list {
			out = append(out, str(ctr, "image"))
		}
	}
	return out, true
}

// repo is an image reference without its tag.
func repo(image string) string {
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[:i]
	}
	return image
}

// assemble groups the objects into resources as Tilt does, applies the k8s_resource
// options, and checks dependencies and images.
func (c *checker) assemble() {
	// Workloads: objects whose pod template uses an image built here; Services join them.
	var podSpecs []*entity
	for _, e := range c.entities {
		imgs, ok := podImages(e.obj)
		if !ok {
			continue
		}
		built := false
		for _, img := range imgs {
			if c.images[repo(img)] {
				built = true
				c.usedImages[repo(img)] = true
			}
		}
		if built {
			podSpecs = append([]*entity{e}, podSpecs...) // workloads first, as Tilt
		} else {
			podSpecs = append(podSpecs, e)
		}
	}
	for _, w := range podSpecs {
		if err := c.addResource(w.name, "k8s", nil); err != nil {
			c.problem("%v (two workloads named %s)", err, w.name)
			continue
		}
		w.resource = w.name
		labels, _ := get(w.obj, "spec", "template", "metadata", "labels").(map[string]any)
		for _, s := range c.entities {
			if s.kind != "Service" || s.resource != "" || s.ns != w.ns {
				continue
			}
			sel, _ := get(s.obj, "spec", "selector").(map[string]any)
			match := len(sel) > 0
			for k, v := range sel {
				if labels[k] != v {
					match = false
				}
			}
			if match {
				s.resource = w.name
			}
		}
	}
	for img := range c.images {
		if !c.usedImages[img] {
			c.problem("docker_build %s: no workload of the chart uses this image", img)
		}
	}
	for _, e := range c.entities {
		imgs, _ := podImages(e.obj)
		for _, img := range imgs {
			if strings.HasPrefix(img, "taskmesh-") && !c.images[repo(img)] {
				c.problem("%s uses %s, which no docker_build builds (the cluster would try to pull it)", e.fullName(), img)
			}
		}
	}

	// k8s_resource options, in order.
	fragments := map[string][]*entity{}
	for _, e := range c.entities {
		for _, f := range []string{e.name, e.name + ":" + e.kind, e.name + ":" + e.kind + ":" + e.ns} {
			fragments[strings.ToLower(f)] = append(fragments[strings.ToLower(f)], e)
		}
	}
	for _, o := range c.k8sOpts {
		name := o.workload
		if o.workload == "" {
			name = o.newName
			if err := c.addResource(name, "k8s", nil); err != nil {
				c.problem("k8s_resource(new_name=%q): %v", name, err)
				continue
			}
		}
		r, ok := c.resources[name]
		if !ok || r.kind != "k8s" {
			c.problem("k8s_resource: unknown resource %q", name)
			continue
		}
		if o.newName != "" && o.newName != r.name {
			if _, taken := c.resources[o.newName]; taken {
				c.problem("k8s_resource: cannot rename %q to %q: taken", r.name, o.newName)
				continue
			}
			delete(c.resources, r.name)
			for i, n := range c.order {
				if n == r.name {
					c.order[i] = o.newName
				}
			}
			for _, e := range c.entities {
				if e.resource == r.name {
					e.resource = o.newName
				}
			}
			r.name = o.newName
			c.resources[r.name] = r
		}
		r.deps = append(r.deps, o.deps...)
		for _, f := range o.objects {
			es := fragments[strings.ToLower(f)]
			switch {
			case len(es) == 0:
				c.problem("k8s_resource %s: no object identified by the fragment %q", r.name, f)
			case len(es) > 1:
				c.problem("k8s_resource %s: %q is not a unique fragment", r.name, f)
			case es[0].resource != "":
				c.problem("k8s_resource %s: %q already belongs to resource %s", r.name, f, es[0].resource)
			default:
				es[0].resource = r.name
			}
		}
	}

	for _, e := range c.entities {
		if e.resource == "" {
			c.problem("%s belongs to no resource (Tilt would show it as uncategorized)", e.fullName())
		}
	}

	// Dependencies exist and have no cycle.
	for _, name := range c.order {
		for _, d := range c.resources[name].deps {
			if _, ok := c.resources[d]; !ok {
				c.problem("resource %s depends on unknown resource %q", name, d)
			}
		}
	}
	state := map[string]int{}
	var visit func(string, []string)
	visit = func(n string, path []string) {
		switch state[n] {
		case 1:
			c.problem("dependency cycle: %s", strings.Join(append(path, n), " -> "))
			return
		case 2:
			return
		}
		state[n] = 1
		if r, ok := c.resources[n]; ok {
			for _, d := range r.deps {
				visit(d, append(path, n))
			}
		}
		state[n] = 2
	}
	for _, n := range c.order {
		visit(n, nil)
	}
}

func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any, path ...string) string {
	s, _ := get(v, path...).(string)
	return s
}
