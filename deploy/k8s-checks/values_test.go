package k8schecks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestValuesCommented: every value of values.yaml, values-local.yaml and values-cloud.yaml
// says what it is for: a setting (a scalar or a one-line list or map) has a comment of its
// own, or is part of a block whose key has one.
func TestValuesCommented(t *testing.T) {
	for _, name := range []string{"values.yaml", "values-local.yaml", "values-cloud.yaml"} {
		b, err := os.ReadFile(filepath.Join(root(t), chartDir, name))
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var walk func(n *yaml.Node, path string, parentCommented bool)
		walk = func(n *yaml.Node, path string, parentCommented bool) {
			if n.Kind == yaml.DocumentNode {
				for _, c := range n.Content {
					walk(c, path, false)
				}
				return
			}
			if n.Kind != yaml.MappingNode {
				return
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				key, val := n.Content[i], n.Content[i+1]
				p := strings.TrimPrefix(path+"."+key.Value, ".")
				commented := key.HeadComment != "" || key.LineComment != "" || val.LineComment != ""
				leaf := val.Kind == yaml.ScalarNode || val.Style&yaml.FlowStyle != 0 ||
					(val.Kind == yaml.SequenceNode && (len(val.Content) == 0 || val.Content[0].Kind == yaml.ScalarNode))
				if leaf {
					if !commented && !parentCommented {
						t.Errorf("%s: %s (line %d) has no comment saying what it is for", name, p, key.Line)
					}
					continue
				}
				walk(val, p, commented)
			}
		}
		walk(&doc, "", false)
	}
}
