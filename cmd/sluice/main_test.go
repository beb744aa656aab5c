package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/config"

	"github.com/sluice-mq/sluice/internal/syncbuf"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer = syncbuf.Buffer

func noEnv(string) string { return "" }

var endpointLine = regexp.MustCompile(`endpoint:\s+(http://\S+)`)

// startDev runs `sluice dev` in-process and returns its endpoint and a stop
// function that returns the exit code.
func startDev(t *testing.T, args ...string) (endpoint string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"dev"}, args...), &stdout, &stderr, noEnv) }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := endpointLine.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], func() int { cancel(); return <-done }
		}
		select {
		case code := <-done:
			t.Fatalf("sluice dev exited with %d: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("sluice dev printed no endpoint: %s %s", stdout.String(), stderr.String())
	return "", nil
}

func TestDevServesHealthAndStops(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	endpoint, stop := startDev(t, "--data", data, "--listen", "127.0.0.1:0")
	resp, err := http.Get(endpoint + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var st struct{ Status, Version string }
	if err := json.Unmarshal(body, &st); err != nil || resp.StatusCode != 200 || st.Status != "ok" {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit code %d after shutdown", code)
	}
	for _, sub := range []string{"kv", "blobs"} {
		if info, err := os.Stat(filepath.Join(data, sub)); err != nil || !info.IsDir() {
			t.Fatalf("%s not created under --data: %v", sub, err)
		}
	}
	// The same data directory opens again after a clean stop.
	_, stop = startDev(t, "--data", data, "--listen", "127.0.0.1:0")
	if code := stop(); code != 0 {
		t.Fatalf("second run exit code %d", code)
	}
}

func TestBadInputNamesTheSetting(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign")
	if err := os.MkdirAll(filepath.Join(foreign, "kv"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "kv", "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"data is a file", []string{"dev", "--data", file}, 1, "--data"},
		{"data holds a foreign kv dir", []string{"dev", "--data", foreign, "--listen", "127.0.0.1:0"}, 1, "--data"},
		{"listen address taken", []string{"dev", "--data", filepath.Join(dir, "d"), "--listen", busy.Addr().String()}, 1, "--listen"},
		{"bad log level", []string{"dev", "--log-level", "loud"}, 1, "--log-level"},
		{"unknown flag", []string{"dev", "--bogus"}, 2, "-bogus"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"unreachable PD", []string{"serve", "--pd", closedAddr, "--pd-timeout", "1s", "--master-key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "--jwt-key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"}, 1, "--pd"},
		{"no PD", []string{"serve", "--master-key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "--jwt-key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"}, 1, "--pd"},
		{"no jwt key", []string{"serve", "--pd", closedAddr, "--master-key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"}, 1, "--jwt-key"},
		{"short jwt key", []string{"serve", "--pd", closedAddr, "--master-key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "--jwt-key", "abcd"}, 1, "--jwt-key"},
		{"data plane needs no jwt key", []string{"serve", "--role", "data-plane", "--pd", closedAddr, "--pd-timeout", "1s", "--master-key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"}, 1, "--pd"},
		{"token without role", []string{"token", "create", "--jwt-key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"}, 1, "--role"},
		{"token without key", []string{"token", "create", "--role", "operator", "--data", filepath.Join(dir, "nokey")}, 1, "--jwt-key"},
		{"no master key", []string{"serve", "--pd", closedAddr}, 1, "--master-key"},
		{"short master key", []string{"serve", "--pd", closedAddr, "--master-key", "abcd"}, 1, "--master-key"},
		{"access key without secret", []string{"dev", "--data", filepath.Join(dir, "k"), "--access-key", "AKIDEXAMPLE12345"}, 1, "--secret-key"},
		{"bad role", []string{"serve", "--role", "chef"}, 1, "--role"},
		{"bad region in --regions", []string{"dev", "--data", filepath.Join(dir, "r"), "--regions", "us-east-1,EU_WEST"}, 1, `--regions: "EU_WEST"`},
		{"bad region in serve's --regions", []string{"serve", "--regions", "eu west"}, 1, "--regions"},
		{"negative recreate delay", []string{"dev", "--queue-recreate-delay", "-1s"}, 1, "-queue-recreate-delay"},
		{"billing role without PD", []string{"serve", "--role", "billing"}, 1, "--pd"},
		{"billing role needs no master or jwt key", []string{"serve", "--role", "billing", "--pd", closedAddr, "--pd-timeout", "1s"}, 1, "--pd"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			code := run(ctx, tc.args, &stdout, &stderr, noEnv)
			if code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d (want %d), stderr %q, want it to mention %q", code, tc.code, stderr.String(), tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("took %v to fail", d)
			}
		})
	}
}

func TestSettingsFromEnvironment(t *testing.T) {
	data := filepath.Join(t.TempDir(), "from-env")
	env := map[string]string{"SLUICE_DATA": data, "SLUICE_LISTEN": "127.0.0.1:0"}
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"dev"}, &stdout, &stderr, func(k string) string { return env[k] }) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), data) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 || !strings.Contains(stdout.String(), data) {
		t.Fatalf("exit %d; stdout %q; stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestHelpExitsZero: asking for help is not an error, and the usage goes
// to stdout, where a pager or grep can read it.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"},
		{"dev", "--help"}, {"dev", "-h"}, {"serve", "--help"}, {"serve", "-help"},
		{"token", "--help"}, {"token", "-h"}, {"token", "help"},
		{"token", "create", "--help"}, {"token", "revoke", "-h"},
		{"version", "--help"}, {"healthcheck", "--help"},
	} {
		var stdout, stderr syncBuffer
		code := run(context.Background(), args, &stdout, &stderr, noEnv)
		if code != 0 || stdout.String() == "" || stderr.String() != "" {
			t.Errorf("sluice %s: exit %d, stdout %d bytes, stderr %q; want 0, the usage on stdout, nothing on stderr",
				strings.Join(args, " "), code, len(stdout.String()), stderr.String())
		}
	}
}

func TestVersion(t *testing.T) {
	var stdout, stderr syncBuffer
	if code := run(context.Background(), []string{"version"}, &stdout, &stderr, noEnv); code != 0 || !strings.HasPrefix(stdout.String(), "sluice ") {
		t.Fatalf("exit %d, stdout %q", code, stdout.String())
	}
}

// The example settings files in deploy/ must only use real settings.
func TestExampleConfigsParse(t *testing.T) {
	for file, newFlags := range map[string]func() *flag.FlagSet{
		"dev.example.yaml":   func() *flag.FlagSet { fs, _ := newDevFlags(); return fs },
		"serve.example.yaml": func() *flag.FlagSet { fs, _ := newServeFlags(); return fs },
	} {
		fs := newFlags()
		fs.SetOutput(io.Discard)
		path := filepath.Join("..", "..", "deploy", "config", file)
		if err := config.Parse(fs, []string{"--config", path}, noEnv); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}
