package check

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Release is the release the checks render the chart as.
var Release = common.ReleaseOptions{Name: "sluice", Namespace: "queues", Revision: 1, IsInstall: true}

// Rendered is one object of a rendered chart.
type Rendered struct {
	Source string // template file
	Object *unstructured.Unstructured
}

func (r Rendered) String() string {
	return fmt.Sprintf("%s %s (%s)", r.Object.GetKind(), r.Object.GetName(), r.Source)
}

// RenderChart renders the chart in dir as `helm template` would, with the
// value files layered in order (later wins) over the chart's values.yaml,
// after checking the values against values.schema.json. Templates run in
// strict mode: a reference to a value that does not exist is an error.
func RenderChart(dir string, valueFiles ...string) ([]Rendered, *chart.Chart, error) {
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	vals := map[string]any{}
	for _, f := range valueFiles {
		v, err := common.ReadValuesFile(f)
		if err != nil {
			return nil, nil, err
		}
		vals = loader.MergeMaps(vals, v)
	}
	caps := common.DefaultCapabilities.Copy()
	kv, err := common.ParseKubeVersion(KubeVersion)
	if err != nil {
		return nil, nil, err
	}
	caps.KubeVersion = *kv
	rv, err := util.ToRenderValuesWithSchemaValidation(ch, vals, Release, caps, false)
	if err != nil {
		return nil, nil, err
	}
	files, err := engine.Engine{Strict: true}.RenderWithContext(context.Background(), ch, rv)
	if err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []Rendered
	for _, name := range names {
		if !strings.HasSuffix(name, ".yaml") || strings.HasPrefix(path.Base(name), "_") {
			continue // NOTES.txt, helpers
		}
		for i, doc := range splitYAML(files[name]) {
			var m map[string]any
			if err := yaml.UnmarshalStrict([]byte(doc), &m); err != nil {
				return nil, nil, fmt.Errorf("%s, document %d: %w", name, i+1, err)
			}
			if m == nil {
				continue
			}
			out = append(out, Rendered{Source: name, Object: &unstructured.Unstructured{Object: m}})
		}
	}
	return out, ch, nil
}

// splitYAML splits a multi-document YAML stream on its "---" lines.
func splitYAML(s string) []string {
	var docs []string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " ") == "---" {
			docs = append(docs, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, line)
	}
	return append(docs, strings.Join(cur, "\n"))
}
