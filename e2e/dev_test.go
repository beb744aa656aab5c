// Package e2e drives Sluice as users do: the real binary, real clients.
package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/sdk/client"
)

func health(t *testing.T, endpoint string) client.Health {
	t.Helper()
	c, err := client.New(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h, err := c.Health(ctx)
	if err != nil {
		t.Fatalf("health: %v", err)
	}
	return h
}

// A newcomer's first minute: start dev, see it healthy, stop it with a
// signal, start it again on the same data.
func TestDevLifecycle(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p := sluiceproc.StartDev(t, "--data", data)
	if h := health(t, p.Endpoint); h.Status != "ok" || h.Version == "" {
		t.Fatalf("health: %+v", h)
	}
	if !strings.Contains(p.Stderr(), `"msg":"sluice dev started"`) {
		t.Fatalf("no structured start log on stderr: %q", p.Stderr())
	}
	if code, err := p.Stop(15 * time.Second); err != nil || code != 0 {
		t.Fatalf("stop: exit %d, %v", code, err)
	}
	p = sluiceproc.StartDev(t, "--data", data)
	if h := health(t, p.Endpoint); h.Status != "ok" {
		t.Fatalf("health after restart: %+v", h)
	}
}

// A killed process leaves a store the next one opens.
func TestDevRestartsAfterSIGKILL(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p := sluiceproc.StartDev(t, "--data", data)
	health(t, p.Endpoint)
	p.Kill()
	p = sluiceproc.StartDev(t, "--data", data)
	if h := health(t, p.Endpoint); h.Status != "ok" {
		t.Fatalf("health after SIGKILL restart: %+v", h)
	}
}

// Two processes on one data directory: the second must refuse, naming the
// setting, instead of corrupting the first one's store.
func TestDevRefusesADataDirInUse(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	sluiceproc.StartDev(t, "--data", data)
	code, out := sluiceproc.Run(t, 30*time.Second, "dev", "--data", data, "--listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(out, "--data") {
		t.Fatalf("second dev on the same data: exit %d, output %q", code, out)
	}
}

func TestDevRefusesAFileAsDataDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := sluiceproc.Run(t, 30*time.Second, "dev", "--data", file, "--listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(out, "--data") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}
