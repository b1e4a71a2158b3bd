package k8schecks

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// Every API package, so that the registry knows every Taskmesh service.
	_ "github.com/taskmesh/taskmesh/gen/taskmesh/audit/v1"
	_ "github.com/taskmesh/taskmesh/gen/taskmesh/auth/v1"
	_ "github.com/taskmesh/taskmesh/gen/taskmesh/events/v1"
	_ "github.com/taskmesh/taskmesh/gen/taskmesh/meshinternal/v1"
	_ "github.com/taskmesh/taskmesh/gen/taskmesh/notification/v1"
	_ "github.com/taskmesh/taskmesh/gen/taskmesh/realtime/v1"
	_ "github.com/taskmesh/taskmesh/gen/taskmesh/task/v1"
	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// What the code of one service (services/<name>, tests excluded) shows it needs, read
// with go/ast. The patterns are those of pkg/startup, pkg/dapr/appcallback and pkg/dapr/invoke; when
// they change, this reader must follow (the tests then fail on a mismatch, never pass).
type serviceCode struct {
	// port is the default of ADDR: the one ":<port>" string literal in main.go.
	port int
	// secrets the service reads: svc.Database (database-url), svc.Verifier
	// (auth-verify-key), svc.Issuer (auth-signing-key and auth-verify-key), and any
	// Setting(..., meshnames.X).
	secrets map[string]bool
	// migrates: it calls svc.Database (which migrates its schema).
	migrates bool
	// topics it handles: appcallback HandleTopic(meshnames.PubSub, meshnames.TaskEvents, ...),
	// as "pubsub/topic".
	topics map[string]bool
	// bindings it handles: HandleBinding(meshnames.X, ...).
	bindings map[string]bool
	// components: every meshnames component constant its code names.
	components map[string]bool
	// calls: target app id -> fully qualified services it calls through the mesh
	// (invoke.Client(mesh, meshnames.App, pkgconnect.NewXClient), and web's
	// gateway.Routes).
	calls map[string]map[string]bool
}

// meshnameConsts maps each constant of pkg/meshnames to its value.
func meshnameConsts(t testing.TB) map[string]string {
	t.Helper()
	path := filepath.Join(root(t), "pkg", "meshnames", "meshnames.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						out[n.Name] = v
					}
				}
			}
		}
	}
	if out["API"] != meshnames.API {
		t.Fatalf("pkg/meshnames: could not read the constants (API = %q)", out["API"])
	}
	return out
}

// appIDs are the Dapr app ids of pkg/meshnames.
func appIDs() map[string]bool {
	return setOf(meshnames.API, meshnames.Recurring, meshnames.Notification, meshnames.Audit,
		meshnames.Realtime, meshnames.Web)
}

// componentNames are the Dapr components of pkg/meshnames.
func componentNames() map[string]bool {
	return setOf(meshnames.PubSub, meshnames.BroadcastPubSub, meshnames.StateStore,
		meshnames.SessionStore, meshnames.SecretStore, meshnames.ReminderCron)
}

// topicNames are the topics of pkg/meshnames.
func topicNames() map[string]bool {
	return setOf(meshnames.TaskEvents, meshnames.Reminders, meshnames.TaskUpdates)
}

// secretNames are the secrets of pkg/meshnames.
func secretNames() map[string]bool {
	return setOf(meshnames.DatabaseURLSecret, meshnames.SigningKeySecret, meshnames.VerifyKeySecret)
}

// protoServices maps each Taskmesh gRPC service's short name (TaskService) to its full
// name and method names.
func protoServices(t testing.TB) map[string]protoreflect.ServiceDescriptor {
	t.Helper()
	out := map[string]protoreflect.ServiceDescriptor{}
	protoregistry.GlobalFiles.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(f.Package()), "taskmesh.") {
			return true
		}
		for i := 0; i < f.Services().Len(); i++ {
			s := f.Services().Get(i)
			if prev, dup := out[string(s.Name())]; dup {
				t.Fatalf("two services named %s: %s and %s", s.Name(), prev.FullName(), s.FullName())
			}
			out[string(s.Name())] = s
		}
		return true
	})
	if len(out) == 0 {
		t.Fatal("no taskmesh.* services in the proto registry")
	}
	return out
}

var portLiteral = regexp.MustCompile(`^:[0-9]{2,5}$`)

// scanServices reads services/*/ (every directory with a main.go).
func scanServices(t testing.TB) map[string]*serviceCode {
	t.Helper()
	consts := meshnameConsts(t)
	protos := protoServices(t)
	mains, err := filepath.Glob(filepath.Join(root(t), "services", "*", "main.go"))
	if err != nil || len(mains) == 0 {
		t.Fatalf("no services/*/main.go: %v", err)
	}
	out := map[string]*serviceCode{}
	for _, main := range mains {
		dir := filepath.Dir(main)
		name := filepath.Base(dir)
		sc := &serviceCode{
			secrets: map[string]bool{}, topics: map[string]bool{}, bindings: map[string]bool{},
			components: map[string]bool{}, calls: map[string]map[string]bool{},
		}
		out[name] = sc
		var ports []string
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				return err
			}
			mn := importName(f, "github.com/taskmesh/taskmesh/pkg/meshnames", "meshnames")
			resolve := func(e ast.Expr) (string, bool) {
				sel, ok := e.(*ast.SelectorExpr)
				if !ok {
					return "", false
				}
				if x, ok := sel.X.(*ast.Ident); !ok || x.Name != mn {
					return "", false
				}
				v, ok := consts[sel.Sel.Name]
				return v, ok
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BasicLit:
					if path == main && n.Kind == token.STRING {
						if s, _ := strconv.Unquote(n.Value); portLiteral.MatchString(s) {
							ports = append(ports, s)
						}
					}
				case *ast.SelectorExpr:
					if v, ok := resolve(n); ok && componentNames()[v] {
						sc.components[v] = true
					}
				case *ast.CallExpr:
					scanCall(t, sc, n, resolve, protos)
				case *ast.ValueSpec:
					// web's gateway.Routes: service name constant -> meshnames app.
					if len(n.Names) == 1 && n.Names[0].Name == "Routes" && len(n.Values) == 1 {
						lit, _ := n.Values[0].(*ast.CompositeLit)
						for _, el := range lit.Elts {
							kv := el.(*ast.KeyValueExpr)
							key, _ := kv.Key.(*ast.SelectorExpr)
							app, ok := resolve(kv.Value)
							if key == nil || !ok {
								t.Errorf("%s: Routes entry not of the form pkg.XServiceName: meshnames.App", path)
								continue
							}
							short := strings.TrimSuffix(key.Sel.Name, "Name")
							svc, ok := protos[short]
							if !ok {
								t.Errorf("%s: Routes names unknown service %s", path, short)
								continue
							}
							addCall(sc, app, string(svc.FullName()))
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(ports) != 1 {
			t.Fatalf("services/%s/main.go: want exactly one default listen address literal like \":8081\", found %q", name, ports)
		}
		sc.port, _ = strconv.Atoi(ports[0][1:])
	}
	return out
}

func scanCall(t testing.TB, sc *serviceCode, call *ast.CallExpr, resolve func(ast.Expr) (string, bool), protos map[string]protoreflect.ServiceDescriptor) {
	var fn string
	var pkg string
	switch f := call.Fun.(type) {
	case *ast.SelectorExpr:
		fn = f.Sel.Name
		if x, ok := f.X.(*ast.Ident); ok {
			pkg = x.Name
		}
	case *ast.IndexExpr: // invoke.Client[T](...)
		if s, ok := f.X.(*ast.SelectorExpr); ok {
			fn = s.Sel.Name
			if x, ok := s.X.(*ast.Ident); ok {
				pkg = x.Name
			}
		}
	default:
		return
	}
	arg := func(i int) (string, bool) {
		if i < 0 {
			i += len(call.Args)
		}
		if i < 0 || i >= len(call.Args) {
			return "", false
		}
		return resolve(call.Args[i])
	}
	switch {
	case fn == "Database" && len(call.Args) == 3:
		sc.migrates = true
		sc.secrets[meshnames.DatabaseURLSecret] = true
	case fn == "Verifier" && len(call.Args) == 1:
		// The key set, and the sessions' revocation list (pkg/startup).
		sc.secrets[meshnames.VerifyKeySecret] = true
		sc.components[meshnames.SessionStore] = true
	case fn == "Issuer" && len(call.Args) == 2:
		// The signing key, the key set of the mesh, and the revocation list it writes.
		sc.secrets[meshnames.SigningKeySecret] = true
		sc.secrets[meshnames.VerifyKeySecret] = true
		sc.components[meshnames.SessionStore] = true
	case fn == "Setting":
		if v, ok := arg(-1); ok {
			sc.secrets[v] = true
		}
	case fn == "HandleTopic":
		ps, ok1 := arg(0)
		topic, ok2 := arg(1)
		if !ok1 || !ok2 {
			t.Errorf("HandleTopic with arguments that are not meshnames constants")
			return
		}
		sc.topics[ps+"/"+topic] = true
	case fn == "HandleBinding":
		b, ok := arg(0)
		if !ok {
			t.Errorf("HandleBinding with an argument that is not a meshnames constant")
			return
		}
		sc.bindings[b] = true
	case fn == "Client" && pkg == "invoke" && len(call.Args) == 3:
		app, ok := arg(1)
		ctor, _ := call.Args[2].(*ast.SelectorExpr)
		if !ok || ctor == nil || !strings.HasPrefix(ctor.Sel.Name, "New") || !strings.HasSuffix(ctor.Sel.Name, "Client") {
			t.Errorf("invoke.Client call not of the form (mesh, meshnames.App, pkgconnect.NewXClient)")
			return
		}
		short := strings.TrimSuffix(strings.TrimPrefix(ctor.Sel.Name, "New"), "Client")
		svc, found := protos[short]
		if !found {
			t.Errorf("invoke.Client: unknown service %s", short)
			return
		}
		addCall(sc, app, string(svc.FullName()))
	}
}

func addCall(sc *serviceCode, app, service string) {
	if sc.calls[app] == nil {
		sc.calls[app] = map[string]bool{}
	}
	sc.calls[app][service] = true
}

// importName is the name under which f imports path (def when it is not renamed).
func importName(f *ast.File, path, def string) string {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == path && imp.Name != nil {
			return imp.Name.Name
		}
	}
	return def
}

// TestCodeScan keeps the reader above honest: it must find, in today's code, what the
// services are known to do, or the consistency tests would compare nothing.
func TestCodeScan(t *testing.T) {
	code := scanServices(t)
	api, ok := code[meshnames.API]
	if !ok {
		t.Fatal("no services/api")
	}
	if api.port == 0 || !api.migrates || !api.secrets[meshnames.SigningKeySecret] || !api.bindings[meshnames.ReminderCron] {
		t.Errorf("api: port %d, migrates %v, secrets %v, bindings %v", api.port, api.migrates, sorted(api.secrets), sorted(api.bindings))
	}
	if rt := code[meshnames.Realtime]; rt == nil || !rt.topics[meshnames.BroadcastPubSub+"/"+meshnames.TaskUpdates] ||
		!rt.calls[meshnames.API]["taskmesh.internal.v1.TaskInternalService"] {
		t.Errorf("realtime: %+v", rt)
	}
	if web := code[meshnames.Web]; web == nil || len(web.calls[meshnames.API]) < 3 {
		t.Errorf("web: gateway routes not found: %+v", web)
	}
	var names []string
	for n := range code {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("services: %v", names)
}
