package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/terraform/internal/provider"
	"github.com/sluice-mq/sluice/terraform/internal/testenv"
)

// TestTerraformCLI builds the provider binary and drives the real terraform
// binary against it. Terraform finds the binary through a dev_overrides CLI
// configuration, so no `terraform init` and no network access are needed.
func TestTerraformCLI(t *testing.T) {
	tf := terraformCLI(t)
	pluginDir := buildProvider(t)

	t.Run("apply reads sluice_server", func(t *testing.T) {
		server := newFakeSluice(t, "0.1.0-test")
		dir := writeConfig(t, `provider "sluice" {
  endpoint = "`+server.URL+`"
}`)
		env := tf.env(pluginDir, provider.EnvToken+"=acceptance-jwt")

		tf.run(t, dir, env, "plan", "-input=false", "-no-color")
		tf.run(t, dir, env, "apply", "-auto-approve", "-input=false", "-no-color")
		if got := tf.run(t, dir, env, "output", "-raw", "version"); got != "0.1.0-test" {
			t.Errorf("output version = %q, want %q", got, "0.1.0-test")
		}
		if got := tf.run(t, dir, env, "output", "-raw", "status"); got != "ok" {
			t.Errorf("output status = %q, want %q", got, "ok")
		}
		if auth := server.authorizations(); len(auth) == 0 || !allEqual(auth, "Bearer acceptance-jwt") {
			t.Errorf("Authorization headers = %q, want every request to carry the %s token", auth, provider.EnvToken)
		}
	})

	t.Run("unreachable endpoint fails plan", func(t *testing.T) {
		endpoint := closedEndpoint(t)
		dir := writeConfig(t, "")
		env := tf.env(pluginDir, provider.EnvEndpoint+"="+endpoint)

		out := tf.runExpectingFailure(t, dir, env, "plan", "-input=false", "-no-color")
		for _, want := range []string{"Cannot reach Sluice server", endpoint} {
			if !strings.Contains(out, want) {
				t.Errorf("terraform output does not mention %q:\n%s", want, out)
			}
		}
	})

	t.Run("missing endpoint fails plan", func(t *testing.T) {
		dir := writeConfig(t, "")
		env := tf.env(pluginDir)

		out := tf.runExpectingFailure(t, dir, env, "plan", "-input=false", "-no-color")
		for _, want := range []string{"Missing Sluice endpoint", provider.EnvEndpoint} {
			if !strings.Contains(out, want) {
				t.Errorf("terraform output does not mention %q:\n%s", want, out)
			}
		}
	})
}

// terraform runs one terraform binary with a per-test CLI configuration.
type terraform struct {
	path string
}

// terraformCLI finds terraform on PATH (`make test-deps` installs it).
func terraformCLI(t *testing.T) terraform {
	t.Helper()
	return terraform{path: testenv.LookPath(t, "terraform", "go install github.com/hashicorp/terraform@v1.5.7")}
}

// env returns the environment for terraform: the test's own, minus anything
// that could change terraform's or the provider's behavior, plus a CLI
// config overriding the provider with the binary in pluginDir.
func (tf terraform) env(pluginDir string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TF_") || strings.HasPrefix(kv, "SLUICE_") || strings.HasPrefix(kv, "CHECKPOINT_") {
			continue
		}
		env = append(env, kv)
	}
	cliConfig := filepath.Join(pluginDir, "terraformrc")
	env = append(env,
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
	)
	return append(env, extra...)
}

// run runs terraform in dir, fails the test on a non-zero exit and returns
// its standard output.
func (tf terraform) run(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	stdout, stderr, err := tf.exec(t, dir, env, args...)
	if err != nil {
		t.Fatalf("terraform %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// runExpectingFailure runs terraform, fails the test if it succeeds and
// returns its combined output.
func (tf terraform) runExpectingFailure(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	stdout, stderr, err := tf.exec(t, dir, env, args...)
	if err == nil {
		t.Fatalf("terraform %s succeeded, want failure\nstdout:\n%s", strings.Join(args, " "), stdout)
	}
	return stdout + stderr
}

func (tf terraform) exec(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tf.path, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// buildProvider compiles this module's provider into a fresh directory and
// writes a CLI configuration there that points Terraform at it.
func buildProvider(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	binary := filepath.Join(dir, "terraform-provider-sluice")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	// go test puts its own toolchain first on PATH, so "go" is the same Go.
	build := exec.CommandContext(ctx, "go", "build", "-o", binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build provider: %v\n%s", err, out)
	}

	cliConfig := fmt.Sprintf(`disable_checkpoint = true

provider_installation {
  dev_overrides {
    %q = %q
  }
  direct {}
}
`, provider.Address, dir)
	if err := os.WriteFile(filepath.Join(dir, "terraformrc"), []byte(cliConfig), 0o600); err != nil {
		t.Fatalf("write CLI config: %v", err)
	}
	return dir
}

// writeConfig writes a root module reading sluice_server, with providerBlock
// (possibly empty) configuring the provider, into a fresh directory.
func writeConfig(t *testing.T, providerBlock string) string {
	t.Helper()
	dir := t.TempDir()
	config := `terraform {
  required_providers {
    sluice = {
      source = "sluice-mq/sluice"
    }
  }
}

` + providerBlock + `

data "sluice_server" "this" {}

output "version" {
  value = data.sluice_server.this.version
}

output "status" {
  value = data.sluice_server.this.status
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatalf("write main.tf: %v", err)
	}
	return dir
}

// fakeSluice answers GET /healthz like `sluice dev`, and GET /v1/tenants
// (the provider's credential check) with no tenants, and records the
// Authorization header of every request.
type fakeSluice struct {
	*httptest.Server
	mu   sync.Mutex
	auth []string
}

func newFakeSluice(t *testing.T, version string) *fakeSluice {
	t.Helper()
	f := &fakeSluice{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/healthz":
			io.WriteString(w, `{"status":"ok","version":"`+version+`"}`)
		case r.Method == http.MethodGet && r.URL.Path == "/v1/tenants":
			io.WriteString(w, `{"tenants":[]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSluice) authorizations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.auth...)
}

func allEqual(values []string, want string) bool {
	for _, v := range values {
		if v != want {
			return false
		}
	}
	return true
}

// closedEndpoint returns a URL nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}
