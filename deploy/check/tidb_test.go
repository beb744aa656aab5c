package check

import (
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestTidbClusterExample checks the example's shape: a tidb-operator v1
// TidbCluster with 3 PD and 3 TiKV and no TiDB, whose PD service
// (<name>-pd) the production values point the chart at.
func TestTidbClusterExample(t *testing.T) {
	b, err := os.ReadFile("../helm/examples/tidbcluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tc struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct{ Name, Namespace string }
		Spec       map[string]any
	}
	if err := yaml.Unmarshal(b, &tc); err != nil {
		t.Fatal(err)
	}
	if tc.APIVersion != "pingcap.com/v1alpha1" || tc.Kind != "TidbCluster" {
		t.Fatalf("%s %s, want pingcap.com/v1alpha1 TidbCluster", tc.APIVersion, tc.Kind)
	}
	for _, c := range []string{"pd", "tikv"} {
		m, _ := tc.Spec[c].(map[string]any)
		if r, _ := m["replicas"].(float64); r < 3 || m["baseImage"] != "pingcap/"+c {
			t.Errorf("spec.%s: %v, want 3+ replicas of pingcap/%s", c, m, c)
		}
	}
	if tidb, ok := tc.Spec["tidb"].(map[string]any); ok && tidb["replicas"] != float64(0) {
		t.Errorf("spec.tidb: %v; Sluice needs no SQL layer", tidb)
	}
	vals, err := os.ReadFile("../helm/examples/values-production.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := tc.Metadata.Name + "-pd." + tc.Metadata.Namespace + ".svc:2379"; !strings.Contains(string(vals), want) {
		t.Errorf("values-production.yaml does not name PD's service %s", want)
	}
}
