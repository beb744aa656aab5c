package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
)

const (
	repoRoot  = "../.."
	chartDir  = "../helm/sluice"
	examples  = "../helm/examples"
	composeYM = "../compose/compose.yaml"
)

var sluice Binary

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deploy-check")
	if err != nil {
		panic(err)
	}
	sluice, err = BuildSluice(repoRoot, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// valueSets are the value files the chart must render with: none (the
// defaults) and each example.
func valueSets(t *testing.T) map[string][]string {
	sets := map[string][]string{"defaults": nil}
	files, err := filepath.Glob(filepath.Join(examples, "values-*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example values in %s: %v", examples, err)
	}
	for _, f := range files {
		sets[filepath.Base(f)] = []string{f}
	}
	return sets
}

func TestChartLints(t *testing.T) {
	for name, files := range valueSets(t) {
		vals := map[string]any{}
		for _, f := range files {
			objs, _, err := RenderChart(chartDir, f) // proves the file parses
			if err != nil || len(objs) == 0 {
				t.Fatalf("%s: %v", f, err)
			}
		}
		linter := lint.RunAll(chartDir, vals, Release.Namespace)
		for _, msg := range linter.Messages {
			if msg.Severity >= support.WarningSev {
				t.Errorf("helm lint (%s): %s", name, msg)
			}
		}
	}
}

// TestChartRendersValidObjects renders the chart with each value set and
// validates every object (ValidateObjects), and the sluice flags and
// SLUICE_* variables its containers pass.
func TestChartRendersValidObjects(t *testing.T) {
	for name, files := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			objs, _, err := RenderChart(chartDir, files...)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, o := range objs {
				kinds[o.Object.GetKind()]++
			}
			t.Logf("%d objects: %v", len(objs), kinds)
			for _, err := range ValidateObjects(objs) {
				t.Error(err)
			}
			for _, err := range CheckChartInvocations(objs, sluice) {
				t.Error(err)
			}
			for _, kind := range []string{"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"} {
				if kinds[kind] == 0 && name == "defaults" {
					t.Errorf("defaults render no %s", kind)
				}
			}
		})
	}
}

// TestBrokenChartsFail: each fixture breaks the chart one way that a
// cluster, Helm or the binary would refuse; each must fail the checks,
// naming what is wrong.
func TestBrokenChartsFail(t *testing.T) {
	cases := []struct {
		name, file, old, new, want string
		values                     string
	}{
		{"unknown field", "templates/deployment.yaml", "readinessProbe:", "readinesProbe:", "readinesProbe", ""},
		{"wrong type", "templates/deployment.yaml", "containerPort: 9324", "containerPort: \"http\"", "containerPort", ""},
		{"bad quantity", "values.yaml", "memory: 512Mi}", "memory: 512 megabytes}", "quantit", ""},
		{"removed API version", "templates/hpa.yaml", "autoscaling/v2", "autoscaling/v2beta2", "autoscaling/v2beta2", ""},
		{"selector misses pods", "templates/deployment.yaml", "{{- include \"sluice.selectorLabels\" $ctx | nindent 6 }}", "app: other", "does not match", ""},
		{"probe names no port", "templates/deployment.yaml", "port: http\n            periodSeconds: 5", "port: admin\n            periodSeconds: 5", "admin", ""},
		{"flag the binary lacks", "templates/deployment.yaml", "- name: SLUICE_PD_TIMEOUT", "- name: SLUICE_PD_TIMEOUTS", "--pd-timeouts", ""},
		{"argument the binary lacks", "templates/deployment.yaml", `args: ["serve", "--role", {{ $role | quote }}]`, `args: ["serve", "--roles", {{ $role | quote }}]`, "--roles", ""},
		{"missing label", "templates/_helpers.tpl", "app.kubernetes.io/part-of: sluice\n", "", "part-of", ""},
		{"secret key missing", "templates/secret.yaml", "jwt-key: {{", "jwt-keys: {{", `"jwt-key"`, ""},
		{"values break the schema", "", "", "", "replicas", "controlPlane:\n  replicas: two\n"},
		{"ServiceMonitor on no port", "templates/servicemonitor.yaml", "- port: metrics", "- port: admin", "admin", "serviceMonitor:\n  enabled: true\n"},
		{"HPA fights replicas", "templates/deployment.yaml", "{{- if not (and (eq $role \"data-plane\") $plane.autoscaling.enabled) }}", "{{- if true }}", "replicas", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyChart(t)
			if c.file != "" {
				path := filepath.Join(dir, c.file)
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(b), c.old) {
					t.Fatalf("fixture: %q not in %s", c.old, c.file)
				}
				if err := os.WriteFile(path, []byte(strings.Replace(string(b), c.old, c.new, 1)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var files []string
			if c.values != "" {
				f := filepath.Join(t.TempDir(), "values.yaml")
				if err := os.WriteFile(f, []byte(c.values), 0o644); err != nil {
					t.Fatal(err)
				}
				files = append(files, f)
			}
			var errs []error
			objs, _, err := RenderChart(dir, files...)
			if err != nil {
				errs = []error{err}
			} else {
				errs = append(ValidateObjects(objs), CheckChartInvocations(objs, sluice)...)
			}
			if len(errs) == 0 {
				t.Fatal("the broken chart passed")
			}
			if !slices.ContainsFunc(errs, func(e error) bool { return strings.Contains(e.Error(), c.want) }) {
				t.Fatalf("no error mentions %q: %v", c.want, errs)
			}
		})
	}
}

func copyChart(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "sluice")
	if err := os.CopyFS(dst, os.DirFS(chartDir)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestComposeFile(t *testing.T) {
	p, err := LoadCompose(context.Background(), composeYM)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d services", len(p.Services))
	for _, err := range CheckCompose(p, sluice) {
		t.Error(err)
	}
}

func TestBrokenComposeFails(t *testing.T) {
	cases := []struct{ name, old, new, want string }{
		{"unknown service in depends_on", "s3: {condition: service_healthy}", "minio: {condition: service_healthy}", "minio"},
		{"host that is no service", "SLUICE_S3_ENDPOINT: s3:7070", "SLUICE_S3_ENDPOINT: minio:9000", "minio"},
		{"PD peer that is no service", "pd2=http://pd2:2380\n", "pd3=http://pd3:2380\n", "pd3"},
		{"unpinned image", "pingcap/tikv:v8.5.0", "pingcap/tikv:latest", "pin a version"},
		{"image nobody builds", "    image: sluice:dev\n    profiles", "    image: sluice:other\n    profiles", "no service builds"},
		{"variable the binary lacks", "SLUICE_S3_SECURE:", "SLUICE_S3_SECUR:", "SLUICE_S3_SECUR"},
		{"role the compose lacks", `["serve", "--role", "billing"]`, `["serve", "--role", "all"]`, "billing"},
		{"no health check", "      test: [\"CMD\", \"wget\"", "      disable: true\n      x: [\"CMD\", \"wget\"", "s3"},
		{"not a compose file", "services:\n", "services:\n  bad: [\n", ""},
	}
	orig, err := os.ReadFile(composeYM)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(string(orig), c.old) {
				t.Fatalf("fixture: %q not in the compose file", c.old)
			}
			dir := filepath.Join(t.TempDir(), "deploy", "compose")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(f, []byte(strings.Replace(string(orig), c.old, c.new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			var errs []error
			p, err := LoadCompose(context.Background(), f)
			if err != nil {
				errs = []error{err}
			} else {
				errs = CheckCompose(p, sluice)
			}
			if len(errs) == 0 {
				t.Fatal("the broken compose file passed")
			}
			if !slices.ContainsFunc(errs, func(e error) bool { return strings.Contains(e.Error(), c.want) }) {
				t.Fatalf("no error mentions %q: %v", c.want, errs)
			}
		})
	}
}

var ldflagsVar = regexp.MustCompile(`-X ([\w./-]+)\.(\w+)=`)

func TestDockerfile(t *testing.T) {
	text, err := os.ReadFile("../docker/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range CheckDockerfile(string(text), sluice) {
		t.Error(err)
	}
	// The -X target exists: a renamed variable would silently leave the
	// version unset.
	m := ldflagsVar.FindStringSubmatch(string(text))
	if m == nil {
		t.Fatal("no -X version in the Dockerfile's go build")
	}
	pkg := strings.TrimPrefix(m[1], "github.com/sluice-mq/sluice/")
	src, err := os.ReadFile(filepath.Join(repoRoot, pkg, filepath.Base(pkg)+".go"))
	if err != nil || !regexp.MustCompile(`(?m)^var `+m[2]+` `).Match(src) {
		t.Errorf("-X %s.%s: no such variable (%v)", m[1], m[2], err)
	}
}

func TestBrokenDockerfileFails(t *testing.T) {
	text, err := os.ReadFile("../docker/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ old, new, want string }{
		{"USER 65532:65532", "USER root", "non-root"},
		{`"healthcheck"]`, `"health"]`, "health"},
		{"CGO_ENABLED=0", "CGO_ENABLED=1", "CGO_ENABLED=0"},
		{"ENV SLUICE_LISTEN=:9324", "ENV SLUICE_LISTN=:9324", "SLUICE_LISTN"},
	} {
		broken := strings.Replace(string(text), c.old, c.new, 1)
		errs := CheckDockerfile(broken, sluice)
		if !slices.ContainsFunc(errs, func(e error) bool { return strings.Contains(e.Error(), c.want) }) {
			t.Errorf("%q → %q: no error mentions %q: %v", c.old, c.new, c.want, errs)
		}
	}
}
