package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/testenv"
)

const (
	versityGWInstall = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"
	versityGWAccess  = "sluice-test-access"
	versityGWSecret  = "sluice-test-secret"

	healthPath     = "/health"
	startTimeout   = 15 * time.Second
	startAttempts  = 3 // another process may grab the free port first
	healthInterval = 50 * time.Millisecond
)

// StartVersityGW starts a versitygw S3 server on a free local port, backed
// by a temporary directory, and stops it when the test ends. If
// SLUICE_TEST_S3_ENDPOINT is set it returns that server instead (with
// SLUICE_TEST_S3_ACCESS_KEY, SLUICE_TEST_S3_SECRET_KEY and the optional
// SLUICE_TEST_S3_BUCKET and SLUICE_TEST_S3_SECURE). Without a versitygw
// binary the test fails, or skips under testenv's opt-out.
func StartVersityGW(t testing.TB) S3Server {
	t.Helper()
	if srv, ok := externalS3Server(t); ok {
		return srv
	}
	bin := findVersityGW()
	if bin == "" {
		testenv.Missing(t, "versitygw (looked in $PATH, $GOBIN and $(go env GOPATH)/bin)", versityGWInstall)
	}
	dir := t.TempDir()
	var errs []error
	for range startAttempts {
		srv, stop, err := startVersityGW(bin, dir)
		if err == nil {
			t.Cleanup(stop)
			return srv
		}
		errs = append(errs, err)
	}
	t.Fatalf("start %s: %v", bin, errors.Join(errs...))
	return S3Server{}
}

// findVersityGW returns the path of the versitygw binary, or "".
func findVersityGW() string {
	if path, err := exec.LookPath("versitygw"); err == nil {
		return path
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, p := range filepath.SplitList(strings.TrimSpace(string(out))) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	dirs = append(dirs, filepath.Join(build.Default.GOPATH, "bin"))
	for _, dir := range dirs {
		path := filepath.Join(dir, "versitygw")
		if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return path
		}
	}
	return ""
}

// startVersityGW runs one server and waits until it is healthy. stop
// kills it and waits for it to exit.
func startVersityGW(bin, dir string) (srv S3Server, stop func(), err error) {
	addr, err := freeLocalAddr()
	if err != nil {
		return S3Server{}, nil, err
	}
	cmd := exec.Command(bin, "--port", addr, "--health", healthPath, "--quiet", "posix", dir)
	cmd.Env = append(inheritedEnv(), "ROOT_ACCESS_KEY="+versityGWAccess, "ROOT_SECRET_KEY="+versityGWSecret)
	var output bytes.Buffer // read only after the process has exited
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		return S3Server{}, nil, err
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	stop = func() {
		cmd.Process.Kill()
		<-exited
	}
	if err := waitHealthy(addr, exited); err != nil {
		stop()
		return S3Server{}, nil, fmt.Errorf("%s: %w; output:\n%s", addr, err, output.Bytes())
	}
	return S3Server{Endpoint: addr, AccessKey: versityGWAccess, SecretKey: versityGWSecret}, stop, nil
}

// inheritedEnv is the environment minus versitygw settings, which would
// override the flags and credentials given here.
func inheritedEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "ROOT_") {
			env = append(env, kv)
		}
	}
	return env
}

// freeLocalAddr returns a 127.0.0.1 address whose port was free a moment
// ago. Someone else may take it before versitygw binds it; callers retry.
func freeLocalAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// waitHealthy polls the health endpoint until it answers 200 OK, the
// process exits or startTimeout passes.
func waitHealthy(addr string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	url := "http://" + addr + healthPath
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("versitygw exited during startup")
		case <-ctx.Done():
			return fmt.Errorf("not healthy after %v", startTimeout)
		case <-time.After(healthInterval):
		}
	}
}
