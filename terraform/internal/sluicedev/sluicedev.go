// Package sluicedev builds the sluice binary from this checkout and runs
// `sluice dev` as a real process for the provider's acceptance tests,
// reading the endpoint and credentials from the banner it prints.
package sluicedev

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"
)

// BinEnv names a prebuilt sluice binary to run instead of building one.
const BinEnv = "SLUICE_BIN"

// Server is a running `sluice dev`.
type Server struct {
	Endpoint, Region, AccountID, AccessKey, SecretKey, OperatorToken string

	cmd    *exec.Cmd
	exited chan struct{}
	stderr *syncBuffer
	dir    string
}

// bannerLine matches "  name:   value" lines of the banner.
var bannerLine = regexp.MustCompile(`^\s+([a-z ]+):\s+(\S+)`)

// startTimeout bounds how long the binary has to print its banner; the
// machines these tests run on can be very loaded.
const startTimeout = 60 * time.Second

// Start builds (or takes $SLUICE_BIN) and starts `sluice dev` on a free
// local port with a fresh data directory. A queue can be created again
// at once after it is deleted (--queue-recreate-delay 0), so tests that
// replace queues do not wait out SQS's minute.
func Start(ctx context.Context) (*Server, error) {
	bin, err := binary(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sluice-tfacc-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "dev", "--listen", "127.0.0.1:0", "--data", filepath.Join(dir, "data"),
		"--queue-recreate-delay", "0", "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &Server{cmd: cmd, exited: make(chan struct{}), stderr: &syncBuffer{}, dir: dir}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s dev: %w", bin, err)
	}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	banner := make(chan map[string]string, 1)
	go readBanner(stdout, banner)
	select {
	case b := <-banner:
		s.Endpoint, s.Region, s.AccountID = b["endpoint"], b["region"], b["account id"]
		s.AccessKey, s.SecretKey, s.OperatorToken = b["access key"], b["secret key"], b["operator token"]
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("sluice dev exited before serving:\n%s", s.stderr)
	case <-time.After(startTimeout):
		s.Stop()
		return nil, fmt.Errorf("sluice dev printed no banner within %v:\n%s", startTimeout, s.stderr)
	}
}

// readBanner collects the banner's "name: value" lines, from the endpoint
// line to "Ctrl-C", then drains stdout so the process never blocks.
func readBanner(stdout io.Reader, found chan<- map[string]string) {
	lines := bufio.NewScanner(stdout)
	var banner map[string]string
	for lines.Scan() {
		line := lines.Text()
		m := bannerLine.FindStringSubmatch(line)
		if m != nil && m[1] == "endpoint" {
			banner = map[string]string{}
		}
		if banner != nil && m != nil {
			banner[m[1]] = m[2]
		}
		if banner != nil && strings.Contains(line, "Ctrl-C") {
			found <- banner
			break
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
}

// Stop kills the process and removes its data directory.
func (s *Server) Stop() {
	_ = s.cmd.Process.Kill()
	<-s.exited
	_ = os.RemoveAll(s.dir)
}

var build struct {
	once sync.Once
	path string
	err  error
}

// binary returns $SLUICE_BIN, or builds ./cmd/sluice of this checkout
// once per test binary.
func binary(ctx context.Context) (string, error) {
	if bin := os.Getenv(BinEnv); bin != "" {
		return bin, nil
	}
	build.once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..", "..")
		dir, err := os.MkdirTemp("", "sluice-tfacc-bin-")
		if err != nil {
			build.err = err
			return
		}
		build.path = filepath.Join(dir, "sluice")
		// go test puts its own toolchain first on PATH, so "go" is the same Go.
		cmd := exec.CommandContext(ctx, "go", "build", "-o", build.path, "./cmd/sluice")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/sluice: %w\n%s", err, out)
		}
	})
	return build.path, build.err
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
