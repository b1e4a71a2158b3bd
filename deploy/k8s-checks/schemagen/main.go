// Command schemagen writes the JSON schemas kubeconform validates Taskmesh's manifests
// against, offline: one standalone, strict schema per kind, in kubeconform's layout
//
//	<out>/v<kubernetes version>-standalone-strict/<kind><kind suffix>.json
//
// (e.g. deployment-apps-v1.json, component-dapr-v1alpha1.json), from
//
//   - the OpenAPI v2 document api/openapi-spec/swagger.json of the Go module
//     k8s.io/kubernetes at the pinned version (every kind with x-kubernetes-group-version-kind);
//   - CustomResourceDefinition files (the Dapr CRDs of the Go module github.com/dapr/dapr):
//     each served version's openAPIV3Schema, with Kubernetes' ObjectMeta as its metadata.
//
// The conversion is the one kubeconform's own schemas are made with (openapi2jsonschema):
// every $ref inlined ("standalone"), additionalProperties false on every object that lists
// its properties and does not preserve unknown fields ("strict"), int-or-string as string or
// integer, optional fields nullable. Also: quantities accept numbers (as the API server
// does), apiVersion and kind are pinned to the kind's own, and descriptions are dropped.
//
//	schemagen -swagger swagger.json -version 1.34.4 -crd components.yaml -crd ... -out DIR
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

func main() {
	var crds multiFlag
	swagger := flag.String("swagger", "", "api/openapi-spec/swagger.json of k8s.io/kubernetes")
	version := flag.String("version", "", "Kubernetes version of that swagger.json, e.g. 1.34.4")
	out := flag.String("out", "", "output directory (kubeconform's -schema-location root)")
	flag.Var(&crds, "crd", "CustomResourceDefinition YAML file (repeatable)")
	flag.Parse()
	if *swagger == "" || *version == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	n, err := run(*swagger, strings.TrimPrefix(*version, "v"), crds, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "schemagen: %d schemas in %s\n", n, *out)
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// run writes every schema into out/v<version>-standalone-strict and returns how many.
func run(swaggerPath, version string, crdPaths []string, out string) (int, error) {
	b, err := os.ReadFile(swaggerPath)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Definitions map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, fmt.Errorf("%s: %w", swaggerPath, err)
	}
	if len(doc.Definitions) == 0 {
		return 0, fmt.Errorf("%s: no definitions", swaggerPath)
	}
	schemas, err := FromSwagger(doc.Definitions)
	if err != nil {
		return 0, err
	}
	objectMeta, err := Expand(doc.Definitions, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
	if err != nil {
		return 0, err
	}
	for _, p := range crdPaths {
		b, err := os.ReadFile(p)
		if err != nil {
			return 0, err
		}
		crdSchemas, err := FromCRDs(b, objectMeta)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", p, err)
		}
		for k, v := range crdSchemas {
			schemas[k] = v
		}
	}

	dir := filepath.Join(out, "v"+version+"-standalone-strict")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	for name, schema := range schemas {
		b, err := json.Marshal(schema)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return 0, err
		}
	}
	return len(schemas), nil
}

// FileName is kubeconform's file name for a kind: lower-case kind, then "-" and the first
// label of the group (if any), then "-" and the version.
func FileName(group, version, kind string) string {
	suffix := ""
	if group != "" {
		suffix = "-" + strings.ToLower(strings.Split(group, ".")[0])
	}
	return strings.ToLower(kind) + suffix + "-" + strings.ToLower(version) + ".json"
}

// APIVersion is a kind's apiVersion: version for the core group, else group/version.
func APIVersion(group, version string) string {
	if group == "" {
		return version
	}
	return group + "/" + version
}

// FromSwagger converts every definition of an OpenAPI v2 document that names a
// group-version-kind into a strict standalone schema, keyed by file name.
func FromSwagger(defs map[string]any) (map[string]any, error) {
	out := map[string]any{}
	names := make([]string, 0, len(defs))
	for name := range defs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		def, _ := defs[name].(map[string]any)
		gvks, _ := def["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			gvk, _ := g.(map[string]any)
			group, _ := gvk["group"].(string)
			version, _ := gvk["version"].(string)
			kind, _ := gvk["kind"].(string)
			if version == "" || kind == "" {
				continue
			}
			schema, err := Expand(defs, name)
			if err != nil {
				return nil, err
			}
			pinKind(schema, APIVersion(group, version), kind)
			file := FileName(group, version, kind)
			if _, dup := out[file]; !dup { // names are sorted: the first one wins
				out[file] = schema
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no definition names a group-version-kind")
	}
	return out, nil
}

// Expand returns the strict standalone schema of definition name: $refs inlined (a
// recursive reference becomes an unconstrained schema), then converted (see convert).
func Expand(defs map[string]any, name string) (map[string]any, error) {
	def, ok := defs[name]
	if !ok {
		return nil, fmt.Errorf("no definition %s", name)
	}
	inlined, err := inline(defs, def, map[string]bool{name: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	schema, _ := convert(inlined).(map[string]any)
	return schema, nil
}

const (
	refPrefix = "#/definitions/"
	quantity  = "io.k8s.apimachinery.pkg.api.resource.Quantity"
)

func inline(defs map[string]any, node any, seen map[string]bool) (any, error) {
	switch n := node.(type) {
	case map[string]any:
		if ref, ok := n["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, refPrefix)
			if name == ref {
				return nil, fmt.Errorf("unsupported $ref %s", ref)
			}
			if seen[name] {
				return map[string]any{}, nil // recursive (JSONSchemaProps): accept anything
			}
			if name == quantity {
				// {"type": "string"} in swagger.json, but the API server also takes numbers
				// (cpu: 1).
				return map[string]any{"oneOf": []any{
					map[string]any{"type": "string"},
					map[string]any{"type": "number"},
				}}, nil
			}
			def, ok := defs[name]
			if !ok {
				return nil, fmt.Errorf("dangling $ref %s", ref)
			}
			seen[name] = true
			defer delete(seen, name)
			return inline(defs, def, seen)
		}
		out := make(map[string]any, len(n))
		for k, v := range n {
			if k == "properties" {
				// Property names are field names, not keywords.
				props, _ := v.(map[string]any)
				outProps := make(map[string]any, len(props))
				for pk, pv := range props {
					iv, err := inline(defs, pv, seen)
					if err != nil {
						return nil, err
					}
					outProps[pk] = iv
				}
				out[k] = outProps
				continue
			}
			iv, err := inline(defs, v, seen)
			if err != nil {
				return nil, err
			}
			out[k] = iv
		}
		return out, nil
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			iv, err := inline(defs, v, seen)
			if err != nil {
				return nil, err
			}
			out[i] = iv
		}
		return out, nil
	default:
		return node, nil
	}
}

// convert applies the strict, kubeconform-style rules to an inlined schema node.
func convert(node any) any {
	n, ok := node.(map[string]any)
	if !ok {
		return node
	}
	// int-or-string (format in swagger.json, x-kubernetes-int-or-string in CRDs).
	if n["format"] == "int-or-string" || n["x-kubernetes-int-or-string"] == true {
		return map[string]any{"oneOf": []any{
			map[string]any{"type": "string"},
			map[string]any{"type": "integer"},
		}}
	}
	out := map[string]any{}
	for k, v := range n {
		switch {
		case k == "description" || strings.HasPrefix(k, "x-kubernetes-") || k == "nullable":
			// dropped (nullable is applied below)
		case k == "properties":
			props, _ := v.(map[string]any)
			outProps := make(map[string]any, len(props))
			for pk, pv := range props {
				outProps[pk] = convert(pv)
			}
			out[k] = outProps
		case k == "additionalProperties" || k == "items" || k == "not":
			out[k] = convert(v)
		case k == "allOf" || k == "anyOf" || k == "oneOf":
			list, _ := v.([]any)
			outList := make([]any, len(list))
			for i, item := range list {
				outList[i] = convert(item)
			}
			out[k] = outList
		default:
			out[k] = v
		}
	}
	if n["nullable"] == true {
		allowNull(out)
	}
	// Strict: an object that lists its properties has no others, unless it says otherwise.
	_, hasProps := out["properties"]
	_, hasAdditional := out["additionalProperties"]
	if hasProps && !hasAdditional && n["x-kubernetes-preserve-unknown-fields"] != true {
		out["additionalProperties"] = false
	}
	// Optional fields may be null (Kubernetes treats null as absent).
	if props, ok := out["properties"].(map[string]any); ok {
		required := map[string]bool{}
		if list, ok := out["required"].([]any); ok {
			for _, r := range list {
				if s, ok := r.(string); ok {
					required[s] = true
				}
			}
		}
		for name, p := range props {
			if pm, ok := p.(map[string]any); ok && !required[name] {
				allowNull(pm)
			}
		}
	}
	return out
}

// allowNull lets schema s also accept null.
func allowNull(s map[string]any) {
	switch t := s["type"].(type) {
	case string:
		if t != "null" {
			s["type"] = []any{t, "null"}
		}
	case []any:
		for _, x := range t {
			if x == "null" {
				return
			}
		}
		s["type"] = append(t, "null")
	default:
		if oneOf, ok := s["oneOf"].([]any); ok {
			s["oneOf"] = append(oneOf, map[string]any{"type": "null"})
		}
	}
}

// pinKind requires apiVersion and kind to be the kind's own (so a manifest validated
// against the wrong file fails rather than passes).
func pinKind(schema map[string]any, apiVersion, kind string) {
	props, ok := schema["properties"].(map[string]any)
	if !ok {
		props = map[string]any{}
		schema["properties"] = props
	}
	props["apiVersion"] = map[string]any{"type": "string", "enum": []any{apiVersion}}
	props["kind"] = map[string]any{"type": "string", "enum": []any{kind}}
}

// FromCRDs converts every served version of every CustomResourceDefinition in a YAML stream
// into a strict standalone schema, keyed by file name; objectMeta (converted) becomes the
// schema of metadata.
func FromCRDs(stream []byte, objectMeta map[string]any) (map[string]any, error) {
	out := map[string]any{}
	dec := yaml.NewDecoder(strings.NewReader(string(stream)))
	for {
		var crd struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Group string `yaml:"group"`
				Names struct {
					Kind string `yaml:"kind"`
				} `yaml:"names"`
				Versions []struct {
					Name   string `yaml:"name"`
					Served bool   `yaml:"served"`
					Schema struct {
						OpenAPIV3Schema map[string]any `yaml:"openAPIV3Schema"`
					} `yaml:"schema"`
				} `yaml:"versions"`
			} `yaml:"spec"`
		}
		err := dec.Decode(&crd)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			raw, err := jsonRoundTrip(v.Schema.OpenAPIV3Schema)
			if err != nil {
				return nil, err
			}
			schema, _ := convert(raw).(map[string]any)
			props, _ := schema["properties"].(map[string]any)
			if props == nil {
				return nil, fmt.Errorf("%s %s: schema without properties", crd.Spec.Names.Kind, v.Name)
			}
			props["metadata"] = objectMeta
			pinKind(schema, APIVersion(crd.Spec.Group, v.Name), crd.Spec.Names.Kind)
			out[FileName(crd.Spec.Group, v.Name, crd.Spec.Names.Kind)] = schema
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no CustomResourceDefinition with a schema")
	}
	return out, nil
}

// jsonRoundTrip turns YAML-decoded values into JSON-decoded ones (map[string]any, float64).
func jsonRoundTrip(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}
