package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestFileName(t *testing.T) {
	for _, tc := range []struct{ group, version, kind, want string }{
		{"", "v1", "Service", "service-v1.json"},
		{"apps", "v1", "Deployment", "deployment-apps-v1.json"},
		{"rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebinding-rbac-v1.json"},
		{"dapr.io", "v2alpha1", "Subscription", "subscription-dapr-v2alpha1.json"},
	} {
		if got := FileName(tc.group, tc.version, tc.kind); got != tc.want {
			t.Errorf("FileName(%q, %q, %q) = %q, want %q", tc.group, tc.version, tc.kind, got, tc.want)
		}
	}
}

func TestFromSwagger(t *testing.T) {
	var defs map[string]any
	err := json.Unmarshal([]byte(`{
	  "io.k8s.api.x.v1.Thing": {
	    "type": "object",
	    "description": "dropped",
	    "required": ["spec"],
	    "properties": {
	      "apiVersion": {"type": "string"}, "kind": {"type": "string"},
	      "spec": {"$ref": "#/definitions/io.k8s.api.x.v1.Spec"}
	    },
	    "x-kubernetes-group-version-kind": [{"group": "x.example.com", "version": "v1", "kind": "Thing"}]
	  },
	  "io.k8s.api.x.v1.Spec": {
	    "type": "object",
	    "properties": {
	      "port": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
	      "cpu": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity"},
	      "self": {"$ref": "#/definitions/io.k8s.api.x.v1.Spec"}
	    }
	  },
	  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": "string", "format": "int-or-string"},
	  "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "string"}
	}`), &defs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := FromSwagger(defs)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(out["thing-x-v1.json"])
	want := `{"additionalProperties":false,"properties":{` +
		`"apiVersion":{"enum":["x.example.com/v1"],"type":"string"},` +
		`"kind":{"enum":["Thing"],"type":"string"},` +
		`"spec":{"additionalProperties":false,"properties":{` +
		`"cpu":{"oneOf":[{"type":"string"},{"type":"number"},{"type":"null"}]},` +
		`"port":{"oneOf":[{"type":"string"},{"type":"integer"},{"type":"null"}]},` +
		`"self":{}},"type":"object"}},` +
		`"required":["spec"],"type":"object"}`
	var g, w any
	_ = json.Unmarshal(got, &g)
	_ = json.Unmarshal([]byte(want), &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("schema\n got %s\nwant %s", got, want)
	}
}

func TestFromCRDs(t *testing.T) {
	crd := []byte(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: dapr.io
  names: {kind: Component}
  versions:
    - name: v1alpha1
      served: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec:
              type: object
              properties:
                value: {x-kubernetes-preserve-unknown-fields: true, type: object, properties: {a: {type: string}}}
                count: {type: integer, nullable: true}
              required: [count]
`)
	meta := map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}, "additionalProperties": false}
	out, err := FromCRDs(crd, meta)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := out["component-dapr-v1alpha1.json"].(map[string]any)
	if !ok {
		t.Fatalf("no component-dapr-v1alpha1.json: %v", out)
	}
	if s["additionalProperties"] != false {
		t.Error("the root must not allow unknown fields")
	}
	props := s["properties"].(map[string]any)
	if !reflect.DeepEqual(props["metadata"], meta) {
		t.Errorf("metadata %v, want ObjectMeta", props["metadata"])
	}
	spec := props["spec"].(map[string]any)["properties"].(map[string]any)
	if _, strict := spec["value"].(map[string]any)["additionalProperties"]; strict {
		t.Error("x-kubernetes-preserve-unknown-fields must keep unknown fields")
	}
	if got := spec["count"].(map[string]any)["type"]; !reflect.DeepEqual(got, []any{"integer", "null"}) {
		t.Errorf("nullable count: type %v", got)
	}
}
