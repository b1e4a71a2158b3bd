package k8schecks

import (
	"strings"
	"testing"

	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// accessControl is the accessControl of a Dapr Configuration.
type accessControl struct {
	DefaultAction string
	TrustDomain   string
	Policies      []policy
}

type policy struct {
	AppID, DefaultAction, TrustDomain, Namespace string
	Operations                                   []struct{ Name, Action string }
}

func accessControlOf(t testing.TB, o object) accessControl {
	t.Helper()
	ac := accessControl{
		DefaultAction: str(o, "spec", "accessControl", "defaultAction"),
		TrustDomain:   str(o, "spec", "accessControl", "trustDomain"),
	}
	list, _ := get(o, "spec", "accessControl", "policies").([]any)
	for _, p := range list {
		pol := policy{AppID: str(p, "appId"), DefaultAction: str(p, "defaultAction"),
			TrustDomain: str(p, "trustDomain"), Namespace: str(p, "namespace")}
		// Dapr rejects the whole spec when a policy lacks any of these (ParseAccessControlSpec).
		if pol.AppID == "" || pol.TrustDomain == "" || pol.Namespace == "" {
			t.Errorf("Configuration %s: policy %+v needs appId, trustDomain and namespace", o.name(), pol)
		}
		ops, _ := get(p, "operations").([]any)
		for _, op := range ops {
			pol.Operations = append(pol.Operations, struct{ Name, Action string }{str(op, "name"), str(op, "action")})
		}
		ac.Policies = append(ac.Policies, pol)
	}
	return ac
}

// allows answers, for a gRPC call (operation "/package.Service/Method") from the app
// caller in namespace ns and trust domain td, what Dapr's access control decides. It
// mirrors isOperationAllowedByAccessControlPolicy of github.com/dapr/dapr v1.16.0 pkg/acl
// (for gRPC: no HTTP verbs) with its operation matching (pkg/config/acl_trie.go) for the
// patterns the chart writes: whole path segments, "*" for one segment, "**" for the rest.
func (ac accessControl) allows(caller, ns, td, operation string) bool {
	action := strings.ToLower(ac.DefaultAction)
	if action == "" {
		action = "deny" // Dapr's default once policies exist
	}
	for _, p := range ac.Policies {
		if p.AppID != caller || p.Namespace != ns {
			continue
		}
		if p.TrustDomain != td {
			break
		}
		if p.DefaultAction != "" {
			action = strings.ToLower(p.DefaultAction)
		}
		for _, op := range p.Operations {
			if operationMatches(op.Name, operation) {
				action = strings.ToLower(op.Action)
				break
			}
		}
		break
	}
	return action == "allow"
}

func operationMatches(pattern, operation string) bool {
	pp := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	op := strings.Split(strings.TrimPrefix(operation, "/"), "/")
	for i, seg := range pp {
		switch {
		case seg == "**":
			return true
		case i >= len(op):
			return false
		case seg == "*" || seg == op[i]:
		default:
			return false
		}
	}
	return len(pp) == len(op)
}

func TestOperationMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, op string
		want        bool
	}{
		{"/taskmesh.task.v1.TaskService/*", "/taskmesh.task.v1.TaskService/CreateTask", true},
		{"/taskmesh.task.v1.TaskService/*", "/taskmesh.task.v1.TagService/CreateTag", false},
		{"/taskmesh.task.v1.TaskService/*", "/taskmesh.task.v1.TaskService", false},
		{"/taskmesh.task.v1.TaskService/*", "/taskmesh.task.v1.TaskService/A/B", false},
		{"/**", "/anything/at/all", true},
	} {
		if got := operationMatches(tc.pattern, tc.op); got != tc.want {
			t.Errorf("operationMatches(%q, %q) = %v, want %v", tc.pattern, tc.op, got, tc.want)
		}
	}
}

// TestAccessControl: Dapr's access control on each app lets through exactly the calls the
// code makes through the mesh — web forwarding the browser's RPCs (gateway.Routes), and
// invoke calls such as realtime's and recurring's to TaskInternalService — and nothing
// else: no other app, method of another service, namespace or trust domain.
func TestAccessControl(t *testing.T) {
	code := scanServices(t)
	protos := protoServices(t)
	objs := localRender(t)
	configs := byKind(objs, "Configuration")
	const ns, td = "taskmesh", "public"

	// expected[target][caller][service]
	expected := map[string]map[string]map[string]bool{}
	for caller, c := range code {
		for target, svcs := range c.calls {
			if !appIDs()[target] {
				t.Errorf("%s calls unknown app %q", caller, target)
			}
			if expected[target] == nil {
				expected[target] = map[string]map[string]bool{}
			}
			expected[target][caller] = svcs
		}
	}
	if len(expected[meshnames.API][meshnames.Recurring]) == 0 && code[meshnames.Recurring] != nil {
		t.Errorf("recurring makes no call to api: the code scan is broken")
	}

	callers := append(sorted(appIDs()), "intruder")
	checked := 0
	for _, target := range sorted(appIDs()) {
		cfg, ok := configs["taskmesh-"+target]
		if !ok {
			t.Errorf("no Configuration taskmesh-%s", target)
			continue
		}
		ac := accessControlOf(t, cfg)
		if !strings.EqualFold(ac.DefaultAction, "deny") {
			t.Errorf("Configuration taskmesh-%s: defaultAction %q, want deny", target, ac.DefaultAction)
		}
		for _, caller := range callers {
			for _, short := range sorted(protos) {
				svc := protos[short]
				for i := 0; i < svc.Methods().Len(); i++ {
					op := "/" + string(svc.FullName()) + "/" + string(svc.Methods().Get(i).Name())
					want := expected[target][caller][string(svc.FullName())]
					if got := ac.allows(caller, ns, td, op); got != want {
						t.Errorf("%s -> %s %s: allowed %v, want %v", caller, target, op, got, want)
					}
					if want {
						checked++
						if ac.allows(caller, "elsewhere", td, op) || ac.allows(caller, ns, "other.domain", op) {
							t.Errorf("%s -> %s %s: allowed from another namespace or trust domain", caller, target, op)
						}
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no allowed call checked")
	}
}
