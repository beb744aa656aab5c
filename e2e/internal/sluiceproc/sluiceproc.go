// Package sluiceproc builds the sluice binary once per test run and starts
// it as a real process on a free local port, as a user would.
package sluiceproc

import (
	"bufio"
	"context"
	"encoding/json"
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

// MockTiKVBinEnv names a prebuilt sluice binary built with -tags
// sluice_mocktikv, for MockTiKVBinary.
const MockTiKVBinEnv = "SLUICE_MOCKTIKV_BIN"

// builds caches one binary per set of build tags for the test run.
var builds sync.Map // tags -> *buildResult

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// Binary returns the path of a sluice binary: $SLUICE_BIN, or one built
// from this checkout into a temporary directory.
func Binary(tb testing.TB) string {
	tb.Helper()
	if bin := os.Getenv(BinEnv); bin != "" {
		return bin
	}
	return build(tb, "")
}

// MockTiKVBinary returns a sluice binary whose `serve` accepts --pd
// mock://, client-go's in-process mock store: $SLUICE_MOCKTIKV_BIN, or one
// built with -tags sluice_mocktikv. $SLUICE_BIN is not used: a shipped
// binary refuses mock://.
func MockTiKVBinary(tb testing.TB) string {
	tb.Helper()
	if bin := os.Getenv(MockTiKVBinEnv); bin != "" {
		return bin
	}
	return build(tb, "sluice_mocktikv")
}

func build(tb testing.TB, tags string) string {
	tb.Helper()
	v, _ := builds.LoadOrStore(tags, &buildResult{})
	b := v.(*buildResult)
	b.once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..", "..")
		dir, err := os.MkdirTemp("", "sluice-e2e-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "sluice")
		args := []string{"build", "-o", b.path}
		if tags != "" {
			args = append(args, "-tags", tags)
		}
		cmd := exec.Command("go", append(args, "./cmd/sluice")...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go %s ./cmd/sluice: %w\n%s", strings.Join(args, " "), err, out)
		}
	})
	if b.err != nil {
		tb.Fatal(b.err)
	}
	return b.path
}

// Process is a running sluice command.
type Process struct {
	Endpoint string
	// What `sluice dev` prints for the default tenant and the control plane.
	Region, AccountID, AccessKey, SecretKey, OperatorToken string
	ConsoleLink                                            string // `sluice dev`'s one-time console sign-in link
	MetricsURL                                             string // `sluice dev`'s Prometheus endpoint, as printed
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
		p.OperatorToken, p.ConsoleLink = banner["operator token"], banner["console"]
		p.MetricsURL = banner["metrics"]
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("sluice %s exited before serving: %v\n%s", strings.Join(args, " "), p.waitErr, p.stderr)
	case <-time.After(30 * time.Second):
		p.Kill()
		return nil, fmt.Errorf("sluice %s printed no endpoint within 30s\n%s", strings.Join(args, " "), p.stderr)
	}
}

// serveStartTimeout bounds how long `sluice serve` may take to log that it
// listens: PD and S3 are each checked within 10 s by default.
const serveStartTimeout = 30 * time.Second

// StartServe runs `sluice serve --listen 127.0.0.1:0` with bin and the
// given arguments, and waits until it logs the address it listens on. The
// process is killed when the test ends if it is still running. Region is
// the default, us-east-1, unless args set --region.
func StartServe(tb testing.TB, bin string, args ...string) *Process {
	tb.Helper()
	args = append([]string{"serve", "--listen", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, args...)
	cmd := exec.Command(bin, args...)
	p := &Process{Region: "us-east-1", cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	for i, a := range args {
		if (a == "--region" || a == "-region") && i+1 < len(args) {
			p.Region = args[i+1]
		}
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	tb.Cleanup(func() { p.Kill() })
	deadline := time.After(serveStartTimeout)
	for {
		if listen := serveListening(p.stderr.String()); listen != "" {
			p.Endpoint = "http://" + listen
			return p
		}
		select {
		case <-p.exited:
			tb.Fatalf("sluice %s exited before serving: %v\n%s", strings.Join(args, " "), p.waitErr, p.stderr)
		case <-deadline:
			tb.Fatalf("sluice %s logged no listen address within %v\n%s", strings.Join(args, " "), serveStartTimeout, p.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// serveListening returns the address in the "sluice serve started" log
// line (JSON, from slog), or "" before it is logged.
func serveListening(log string) string {
	for line := range strings.Lines(log) {
		var rec struct{ Msg, Listen string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "sluice serve started" {
			return rec.Listen
		}
	}
	return ""
}

// Run runs sluice to completion with a timeout and returns its exit code
// and combined output.
func Run(tb testing.TB, timeout time.Duration, args ...string) (int, string) {
	tb.Helper()
	return RunBinary(tb, Binary(tb), timeout, args...)
}

// RunBinary is Run with a chosen binary.
func RunBinary(tb testing.TB, bin string, timeout time.Duration, args ...string) (int, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
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

// PID is the process's id, for reading /proc.
func (p *Process) PID() int { return p.cmd.Process.Pid }

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
