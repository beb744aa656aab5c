// Package sluiceproc builds the sluice binary once per test run and starts
// it as a real process on a free local port, as a user would.
package sluiceproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BinEnv names a prebuilt sluice binary to test instead of building one.
const BinEnv = "SLUICE_BIN"

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// Binary returns the path of a sluice binary: $SLUICE_BIN, or one built
// from this checkout into a temporary directory.
func Binary(tb testing.TB) string {
	tb.Helper()
	if bin := os.Getenv(BinEnv); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..", "..")
		dir, err := os.MkdirTemp("", "sluice-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "sluice")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/sluice")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/sluice: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildPath
}

// Process is a running sluice command.
type Process struct {
	Endpoint string
	// What `sluice dev` prints for the default tenant and the control plane.
	Region, AccountID, AccessKey, SecretKey, OperatorToken string
	cmd                                                    *exec.Cmd
	stderr                                                 *lockedBuffer
	exited                                                 chan struct{}
	waitErr                                                error
}

var (
	endpointLine = regexp.MustCompile(`endpoint:\s+(http://\S+)`)
	bannerLine   = regexp.MustCompile(`^\s+([a-z ]+):\s+(\S+)`)
)

// StartDev runs `sluice dev --listen 127.0.0.1:0` with the given extra
// arguments and waits until it prints its endpoint. The process is killed
// when the test ends if it is still running.
func StartDev(tb testing.TB, args ...string) *Process {
	tb.Helper()
	p, err := start(Binary(tb), append([]string{"dev", "--listen", "127.0.0.1:0"}, args...))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Kill() })
	return p
}

func start(bin string, args []string) (*Process, error) {
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	found := make(chan map[string]string, 1)
	go func() {
		// The banner runs from the endpoint line to "Stop it with Ctrl-C."
		lines := bufio.NewScanner(stdout)
		var banner map[string]string
		for lines.Scan() {
			line := lines.Text()
			if m := endpointLine.FindStringSubmatch(line); m != nil && banner == nil {
				banner = map[string]string{"endpoint": m[1]}
				continue
			}
			if banner == nil {
				continue
			}
			if m := bannerLine.FindStringSubmatch(line); m != nil {
				banner[m[1]] = m[2]
			}
			if strings.Contains(line, "Ctrl-C") {
				found <- banner
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	select {
	case banner := <-found:
		p.Endpoint, p.Region, p.AccountID = banner["endpoint"], banner["region"], banner["account id"]
		p.AccessKey, p.SecretKey = banner["access key"], banner["secret key"]
		p.OperatorToken = banner["operator token"]
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("sluice %s exited before serving: %v\n%s", strings.Join(args, " "), p.waitErr, p.stderr)
	case <-time.After(30 * time.Second):
		p.Kill()
		return nil, fmt.Errorf("sluice %s printed no endpoint within 30s\n%s", strings.Join(args, " "), p.stderr)
	}
}

// Run runs sluice to completion with a timeout and returns its exit code
// and combined output.
func Run(tb testing.TB, timeout time.Duration, args ...string) (int, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, Binary(tb), args...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case ctx.Err() != nil:
		tb.Fatalf("sluice %s still running after %v", strings.Join(args, " "), timeout)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	default:
		tb.Fatal(err)
	}
	return -1, ""
}

// Stop sends SIGTERM and waits up to timeout for the process to exit; it
// returns the exit code.
func (p *Process) Stop(timeout time.Duration) (int, error) {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return -1, err
	}
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode(), nil
	case <-time.After(timeout):
		p.Kill()
		return -1, fmt.Errorf("still running %v after SIGTERM\n%s", timeout, p.stderr)
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// Stderr returns what the process has logged so far.
func (p *Process) Stderr() string { return p.stderr.String() }

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
