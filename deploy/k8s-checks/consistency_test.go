package k8schecks

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/taskmesh/taskmesh/pkg/meshnames"
)

// TestServicesMatchCode: one values entry per app id of pkg/meshnames, one per service of
// services/, and each rendered Deployment, Service and migration step uses the port,
// secrets and schema the service's code has.
func TestServicesMatchCode(t *testing.T) {
	code := scanServices(t)
	values := chartValues(t)
	objs := localRender(t)
	deployments := byKind(objs, "Deployment")
	services := byKind(objs, "Service")
	roles := byKind(objs, "Role")
	configs := byKind(objs, "Configuration")

	if !equalSets(setOf(sorted(values.Services)...), appIDs()) {
		t.Errorf("values.yaml services %v, want the app ids of pkg/meshnames %v", sorted(values.Services), sorted(appIDs()))
	}
	for name := range code {
		if _, ok := values.Services[name]; !ok {
			t.Errorf("services/%s has no entry in values.yaml services", name)
		}
	}
	ports := map[int]string{}
	for _, name := range sorted(values.Services) {
		v := values.Services[name]
		if other, dup := ports[v.Port]; dup {
			t.Errorf("services %s and %s both use port %d", other, name, v.Port)
		}
		ports[v.Port] = name
		c, ok := code[name]
		if !ok {
			if v.Enabled {
				t.Errorf("services.%s is enabled but there is no services/%s", name, name)
			}
			continue
		}
		if v.Port != c.port {
			t.Errorf("services.%s.port = %d, the service's default ADDR is :%d", name, v.Port, c.port)
		}
		if v.Migrations != c.migrates {
			t.Errorf("services.%s.migrations = %v, but the code migrates a schema: %v", name, v.Migrations, c.migrates)
		}
		if !equalSets(setOf(v.Secrets...), c.secrets) {
			t.Errorf("services.%s.secrets = %v, the code reads %v", name, v.Secrets, sorted(c.secrets))
		}

		full := "taskmesh-" + name
		d, ok := deployments[full]
		if !ok {
			t.Errorf("no Deployment %s", full)
			continue
		}
		ann := get(d, "spec", "template", "metadata", "annotations")
		for key, want := range map[string]string{
			"dapr.io/enabled":      "true",
			"dapr.io/app-id":       name,
			"dapr.io/app-port":     strconv.Itoa(c.port),
			"dapr.io/app-protocol": "grpc",
			"dapr.io/config":       full,
		} {
			if got := str(ann, key); got != want {
				t.Errorf("Deployment %s: annotation %s = %q, want %q", full, key, got, want)
			}
		}
		if _, ok := configs[full]; !ok {
			t.Errorf("Deployment %s: no Configuration %s for its dapr.io/config", full, full)
		}
		ctr := get(d, "spec", "template", "spec", "containers", 0)
		if got := str(ctr, "ports", 0, "containerPort"); got != strconv.Itoa(c.port) {
			t.Errorf("Deployment %s: containerPort %s, want %d", full, got, c.port)
		}
		env := envOf(ctr)
		if env["ADDR"] != fmt.Sprintf(":%d", c.port) {
			t.Errorf("Deployment %s: ADDR = %q, want :%d", full, env["ADDR"], c.port)
		}
		for _, probe := range []string{"startupProbe", "readinessProbe", "livenessProbe"} {
			if got := str(ctr, probe, "grpc", "port"); got != strconv.Itoa(c.port) {
				t.Errorf("Deployment %s: %s gRPC port %q, want %d", full, probe, got, c.port)
			}
		}
		svc, ok := services[full]
		if !ok || str(svc, "spec", "ports", 0, "port") != strconv.Itoa(c.port) || str(svc, "spec", "ports", 0, "targetPort") != "http" {
			t.Errorf("Service %s: want port %d to the container's http port, got %v", full, c.port, get(svc, "spec", "ports"))
		}

		// Migrations before start (values-local: init containers), reading the database URL
		// from the Secret the code would read it from.
		inits, _ := get(d, "spec", "template", "spec", "initContainers").([]any)
		if c.migrates != (len(inits) == 1) {
			t.Errorf("Deployment %s: %d init containers, the service migrates: %v", full, len(inits), c.migrates)
		}
		if len(inits) == 1 {
			ienv := envOf(inits[0])
			if ienv["MIGRATE_ONLY"] != "true" || ienv["DATABASE_URL"] != "secret:"+meshnames.DatabaseURLSecret+"/"+meshnames.DatabaseURLSecret {
				t.Errorf("Deployment %s: migrate step env %v", full, ienv)
			}
		}

		// The sidecar may read exactly the code's secrets: RBAC and Dapr secret scopes.
		role, hasRole := roles[full+"-secrets"]
		if len(c.secrets) > 0 != hasRole || (hasRole && !equalSets(setOf(strs(role, "rules", 0, "resourceNames")...), c.secrets)) {
			t.Errorf("Role %s-secrets: %v, the code reads %v", full, get(role, "rules"), sorted(c.secrets))
		}
		var allowed []string
		for _, s := range get(configs[full], "spec", "secrets", "scopes").([]any) {
			if str(s, "storeName") == meshnames.SecretStore {
				allowed = strs(s, "allowedSecrets")
				if str(s, "defaultAccess") != "deny" {
					t.Errorf("Configuration %s: secret store defaultAccess %q", full, str(s, "defaultAccess"))
				}
			}
		}
		if !equalSets(setOf(allowed...), c.secrets) {
			t.Errorf("Configuration %s: allowedSecrets %v, the code reads %v", full, allowed, sorted(c.secrets))
		}
	}

	// web reaches realtime's Service for /ws.
	if web, ok := deployments["taskmesh-web"]; ok {
		want := fmt.Sprintf("http://taskmesh-realtime:%d", code[meshnames.Realtime].port)
		if got := envOf(get(web, "spec", "template", "spec", "containers", 0))["REALTIME_URL"]; got != want {
			t.Errorf("web: REALTIME_URL = %q, want %q (realtime's Service)", got, want)
		}
	}
}

// envOf returns a container's environment; a Secret reference reads "secret:<name>/<key>".
func envOf(container any) map[string]string {
	out := map[string]string{}
	list, _ := get(container, "env").([]any)
	for _, e := range list {
		if ref := get(e, "valueFrom", "secretKeyRef"); ref != nil {
			out[str(e, "name")] = "secret:" + str(ref, "name") + "/" + str(ref, "key")
			continue
		}
		out[str(e, "name")] = str(e, "value")
	}
	return out
}

// subscription is a Dapr v2alpha1 Subscription, as compared between the chart and local.
type subscription struct {
	Name, PubSub, Topic, Route, DeadLetter string
	Scopes                                 string
}

func subscriptions(t testing.TB, objs []object) map[string]subscription {
	t.Helper()
	out := map[string]subscription{}
	for name, o := range byKind(objs, "Subscription") {
		if o["apiVersion"] != "dapr.io/v2alpha1" {
			t.Errorf("Subscription %s: apiVersion %v, want dapr.io/v2alpha1", name, o["apiVersion"])
		}
		scopes := strs(o, "scopes")
		sort.Strings(scopes)
		out[name] = subscription{
			Name: name, PubSub: str(o, "spec", "pubsubname"), Topic: str(o, "spec", "topic"),
			Route: str(o, "spec", "routes", "default"), DeadLetter: str(o, "spec", "deadLetterTopic"),
			Scopes: strings.Join(scopes, ","),
		}
	}
	return out
}

// TestSubscriptionsMatchCodeAndLocal: the chart subscribes each app to exactly the topics
// its code handles, with the dead-letter topic of pkg/meshnames, as deploy/dapr/local does.
func TestSubscriptionsMatchCodeAndLocal(t *testing.T) {
	code := scanServices(t)
	chart := subscriptions(t, localRender(t))
	local := subscriptions(t, localResources(t))

	if !reflect.DeepEqual(chart, local) {
		t.Errorf("the chart's subscriptions differ from deploy/dapr/local:\nchart %+v\nlocal %+v", chart, local)
	}
	want := map[string]bool{}
	for app, c := range code {
		for pt := range c.topics {
			want[app+": "+pt] = true
		}
	}
	for what, subs := range map[string]map[string]subscription{"chart": chart, "deploy/dapr/local": local} {
		got := map[string]bool{}
		for _, s := range subs {
			for _, app := range strings.Split(s.Scopes, ",") {
				got[app+": "+s.PubSub+"/"+s.Topic] = true
			}
			if !topicNames()[s.Topic] {
				t.Errorf("%s: Subscription %s: topic %q is not a topic of pkg/meshnames", what, s.Name, s.Topic)
			}
			if s.DeadLetter != meshnames.DeadLetter(s.Topic) {
				t.Errorf("%s: Subscription %s: deadLetterTopic %q, want %q", what, s.Name, s.DeadLetter, meshnames.DeadLetter(s.Topic))
			}
			if s.PubSub != meshnames.PubSub && s.PubSub != meshnames.BroadcastPubSub {
				t.Errorf("%s: Subscription %s: pubsubname %q is not a pub/sub of pkg/meshnames", what, s.Name, s.PubSub)
			}
			if s.Route != "/"+s.Topic {
				t.Errorf("%s: Subscription %s: route %q, want /%s", what, s.Name, s.Route, s.Topic)
			}
		}
		if !equalSets(got, want) {
			t.Errorf("%s: subscriptions (app: pubsub/topic) %v, the code handles %v", what, sorted(got), sorted(want))
		}
	}
}

// TestComponentsMatchCodeAndLocal: the chart's Dapr components are those of pkg/meshnames,
// as in deploy/dapr/local, each scoped to (at least) the apps whose code uses it.
func TestComponentsMatchCodeAndLocal(t *testing.T) {
	code := scanServices(t)
	values := chartValues(t)
	chart := byKind(localRender(t), "Component")
	local := byKind(localResources(t), "Component")

	for what, comps := range map[string]map[string]object{"chart": chart, "deploy/dapr/local": local} {
		if !equalSets(setOf(sorted(comps)...), componentNames()) {
			t.Errorf("%s: components %v, want those of pkg/meshnames %v", what, sorted(comps), sorted(componentNames()))
		}
		for app, c := range code {
			for name := range c.components {
				if scopes := strs(comps[name], "scopes"); len(scopes) > 0 && !setOf(scopes...)[app] {
					t.Errorf("%s: component %s is scoped to %v, but %s's code uses it", what, name, scopes, app)
				}
			}
			for b := range c.bindings {
				if typ := str(comps[b], "spec", "type"); !strings.HasPrefix(typ, "bindings.") {
					t.Errorf("%s: %s handles binding %s, whose component has type %q", what, app, b, typ)
				}
			}
		}
	}
	// Same scopes and types where Kubernetes changes nothing.
	for _, name := range []string{meshnames.BroadcastPubSub, meshnames.StateStore, meshnames.SessionStore, meshnames.ReminderCron} {
		if a, b := strs(chart[name], "scopes"), strs(local[name], "scopes"); !reflect.DeepEqual(a, b) {
			t.Errorf("component %s: scopes %v in the chart, %v in deploy/dapr/local", name, a, b)
		}
	}
	for _, name := range []string{meshnames.StateStore, meshnames.SessionStore, meshnames.ReminderCron} {
		if a, b := str(chart[name], "spec", "type"), str(local[name], "spec", "type"); a != b {
			t.Errorf("component %s: type %s in the chart, %s in deploy/dapr/local", name, a, b)
		}
	}
	if a, b := metadata(chart[meshnames.ReminderCron]), metadata(local[meshnames.ReminderCron]); !reflect.DeepEqual(a, b) {
		t.Errorf("reminder-cron: metadata %v in the chart, %v in deploy/dapr/local", a, b)
	}
	var secretApps []string
	for _, name := range sorted(values.Services) {
		if len(values.Services[name].Secrets) > 0 {
			secretApps = append(secretApps, name)
		}
	}
	if got := strs(chart[meshnames.SecretStore], "scopes"); !reflect.DeepEqual(got, secretApps) {
		t.Errorf("secretstore scopes %v, want the apps with secrets %v", got, secretApps)
	}
	if typ := str(chart[meshnames.SecretStore], "spec", "type"); typ != "secretstores.kubernetes" {
		t.Errorf("secretstore: type %s", typ)
	}

	// The broadcast component gives every pod its own consumer group, whichever broker.
	for _, broker := range []string{"kafka", "redis"} {
		comps := byKind(render(t, "-f", "values-local.yaml", "--set", "pubsub.type="+broker), "Component")
		for _, name := range []string{meshnames.PubSub, meshnames.BroadcastPubSub} {
			if typ := str(comps[name], "spec", "type"); typ != "pubsub."+broker {
				t.Errorf("pubsub.type=%s: %s has type %q", broker, name, typ)
			}
		}
		if got := metadata(comps[meshnames.BroadcastPubSub])["consumerID"]; got != "{podName}" {
			t.Errorf("pubsub.type=%s: %s consumerID %q, want {podName}", broker, meshnames.BroadcastPubSub, got)
		}
		if got := metadata(comps[meshnames.PubSub])["consumerID"]; got != "" {
			t.Errorf("pubsub.type=%s: %s consumerID %q: replicas of an app must share a group", broker, meshnames.PubSub, got)
		}
	}
}

// metadata is a component's metadata (name -> value; a Secret reference as secret:name/key).
func metadata(o object) map[string]string {
	out := map[string]string{}
	list, _ := get(o, "spec", "metadata").([]any)
	for _, m := range list {
		if ref := get(m, "secretKeyRef"); ref != nil {
			out[str(m, "name")] = "secret:" + str(ref, "name") + "/" + str(ref, "key")
			continue
		}
		out[str(m, "name")] = str(m, "value")
	}
	return out
}

// resiliencySpec is Dapr 1.16's Resiliency spec (github.com/dapr/dapr
// pkg/apis/resiliency/v1alpha1), decoded as daprd decodes it: fields it does not have are
// dropped.
type resiliencySpec struct {
	Policies struct {
		Timeouts map[string]string `yaml:"timeouts"`
		Retries  map[string]struct {
			Policy      string `yaml:"policy"`
			Duration    string `yaml:"duration"`
			MaxInterval string `yaml:"maxInterval"`
			MaxRetries  *int   `yaml:"maxRetries"`
			Matching    *struct {
				HTTPStatusCodes string `yaml:"httpStatusCodes"`
				GRPCStatusCodes string `yaml:"gRPCStatusCodes"`
			} `yaml:"matching"`
		} `yaml:"retries"`
		CircuitBreakers map[string]struct {
			MaxRequests int    `yaml:"maxRequests"`
			Interval    string `yaml:"interval"`
			Timeout     string `yaml:"timeout"`
			Trip        string `yaml:"trip"`
		} `yaml:"circuitBreakers"`
	} `yaml:"policies"`
	Targets struct {
		Apps map[string]struct {
			Timeout        string `yaml:"timeout"`
			Retry          string `yaml:"retry"`
			CircuitBreaker string `yaml:"circuitBreaker"`
		} `yaml:"apps"`
		Components map[string]struct {
			Outbound *struct{ Timeout, Retry, CircuitBreaker string } `yaml:"outbound"`
			Inbound  *struct{ Timeout, Retry, CircuitBreaker string } `yaml:"inbound"`
		} `yaml:"components"`
	} `yaml:"targets"`
}

func resiliency(t testing.TB, what string, objs []object) resiliencySpec {
	t.Helper()
	rs := byKind(objs, "Resiliency")
	if len(rs) != 1 {
		t.Fatalf("%s: %d Resiliency resources, want 1", what, len(rs))
	}
	var spec resiliencySpec
	for _, r := range rs {
		b, err := yaml.Marshal(r["spec"])
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, &spec); err != nil {
			t.Fatalf("%s: Resiliency: %v", what, err)
		}
	}
	return spec
}

// TestResiliencyMatchesLocal: the chart's policies are the local ones, as Dapr reads them,
// and target only apps and components of pkg/meshnames.
func TestResiliencyMatchesLocal(t *testing.T) {
	chart := resiliency(t, "chart", localRender(t))
	local := resiliency(t, "deploy/dapr/local", localResources(t))
	if !reflect.DeepEqual(chart, local) {
		t.Errorf("Resiliency differs from deploy/dapr/local:\nchart %+v\nlocal %+v", chart, local)
	}
	for app := range chart.Targets.Apps {
		if !appIDs()[app] {
			t.Errorf("Resiliency targets app %q, not an app id of pkg/meshnames", app)
		}
	}
	for c := range chart.Targets.Components {
		if !componentNames()[c] {
			t.Errorf("Resiliency targets component %q, not a component of pkg/meshnames", c)
		}
	}
	if r := chart.Policies.Retries["call"]; r.Matching == nil || r.Matching.GRPCStatusCodes != "14" {
		t.Errorf("call retries must match only UNAVAILABLE (14), so that no write is applied twice: %+v", r.Matching)
	}
}

// TestVersionsPinned: the Dapr whose CRDs the checks use is the Dapr the services are
// built against and scripts/install-daprd.sh builds.
func TestVersionsPinned(t *testing.T) {
	v := versions(t)
	if !regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`).MatchString(v["K8S_VERSION"]) {
		t.Errorf("versions.env: K8S_VERSION %q is not a pinned x.y.z", v["K8S_VERSION"])
	}
	gomod, err := os.ReadFile(filepath.Join(root(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\s*github\.com/dapr/dapr v` + regexp.QuoteMeta(v["DAPR_VERSION"]) + `\s*$`).Match(gomod) {
		t.Errorf("versions.env: DAPR_VERSION %s is not the github.com/dapr/dapr of go.mod", v["DAPR_VERSION"])
	}
	script, err := os.ReadFile(filepath.Join(root(t), "scripts", "install-daprd.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "DAPR_VERSION:-"+v["DAPR_VERSION"]+"}") {
		t.Errorf("versions.env: DAPR_VERSION %s is not the default of scripts/install-daprd.sh", v["DAPR_VERSION"])
	}
}

// TestMigrationJobs: with migrations.mode=job (values-cloud.yaml), each service that
// migrates a schema gets a pre-install/pre-upgrade hook Job running its image with
// MIGRATE_ONLY=true and the database URL from its Secret, and no init container.
func TestMigrationJobs(t *testing.T) {
	code := scanServices(t)
	objs := render(t, "-f", "values-cloud.yaml")
	jobs := byKind(objs, "Job")
	deployments := byKind(objs, "Deployment")
	for name, c := range code {
		job, ok := jobs["taskmesh-"+name+"-migrate"]
		if ok != c.migrates {
			t.Errorf("%s migrates: %v, but has a migration Job: %v", name, c.migrates, ok)
		}
		if inits := get(deployments["taskmesh-"+name], "spec", "template", "spec", "initContainers"); inits != nil {
			t.Errorf("Deployment taskmesh-%s: init containers %v with migrations.mode=job", name, inits)
		}
		if !ok {
			continue
		}
		if hooks := str(job, "metadata", "annotations", "helm.sh/hook"); hooks != "pre-install,pre-upgrade" {
			t.Errorf("Job taskmesh-%s-migrate: helm.sh/hook %q", name, hooks)
		}
		ctr := get(job, "spec", "template", "spec", "containers", 0)
		env := envOf(ctr)
		if env["MIGRATE_ONLY"] != "true" || env["DATABASE_URL"] != "secret:"+meshnames.DatabaseURLSecret+"/"+meshnames.DatabaseURLSecret {
			t.Errorf("Job taskmesh-%s-migrate: env %v", name, env)
		}
		if img, want := str(ctr, "image"), str(deployments["taskmesh-"+name], "spec", "template", "spec", "containers", 0, "image"); img != want {
			t.Errorf("Job taskmesh-%s-migrate runs %s, the Deployment %s", name, img, want)
		}
	}
}
