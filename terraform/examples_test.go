package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sluice-mq/sluice/terraform/internal/provider"
	"github.com/sluice-mq/sluice/terraform/internal/sluicedev"
)

// TestExamples applies every configuration under examples/ as a user
// would: the real terraform binary, the provider binary built from this
// module (found through dev_overrides, so no terraform init and no
// network), and a real `sluice dev`. Each must apply, then plan no
// changes, then destroy.
func TestExamples(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 to run it (make test does)")
	}
	tf := terraformCLI(t)
	pluginDir := buildProvider(t)
	dev, err := sluicedev.Start(t.Context())
	if err != nil {
		t.Fatalf("start sluice dev: %v", err)
	}
	t.Cleanup(dev.Stop)

	examples, err := filepath.Glob("examples/*/main.tf")
	if err != nil || len(examples) < 3 {
		t.Fatalf("examples = %v (%v), want at least 3", examples, err)
	}
	env := tf.env(pluginDir,
		provider.EnvEndpoint+"="+dev.Endpoint,
		provider.EnvToken+"="+dev.OperatorToken,
		provider.EnvAccount+"="+dev.AccountID,
	)
	for _, example := range examples {
		name := filepath.Base(filepath.Dir(example))
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src, err := os.ReadFile(example)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "main.tf"), src, 0o600); err != nil {
				t.Fatal(err)
			}
			tf.run(t, dir, env, "apply", "-auto-approve", "-input=false", "-no-color")
			// -detailed-exitcode: 0 is no changes, 2 is a diff.
			stdout, stderr, err := tf.exec(t, dir, env, "plan", "-detailed-exitcode", "-input=false", "-no-color")
			if err != nil {
				var exit *exec.ExitError
				if errors.As(err, &exit) && exit.ExitCode() == 2 {
					t.Errorf("plan after apply is not empty:\n%s", stdout)
				} else {
					t.Errorf("plan after apply: %v\n%s\n%s", err, stdout, stderr)
				}
			}
			tf.run(t, dir, env, "destroy", "-auto-approve", "-input=false", "-no-color")
		})
	}
}
