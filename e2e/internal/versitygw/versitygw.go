// Package versitygw starts a versitygw S3 server for e2e tests and makes
// the few S3 calls they need (create a bucket, list its keys), signed with
// aws-sdk-go-v2's SigV4 signer. It mirrors internal/blob/blobtest, which
// this module cannot import (it does not require the server module).
package versitygw

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sluice-mq/sluice/e2e/internal/testenv"
)

const (
	install = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"
	access  = "sluice-e2e-access"
	secret  = "sluice-e2e-secret"
	region  = "us-east-1" // versitygw's default

	healthPath    = "/health"
	startTimeout  = 15 * time.Second
	startAttempts = 3 // another process may take the free port first
	callTimeout   = 10 * time.Second
)

// Server is a running versitygw.
type Server struct {
	Endpoint             string // host:port, plain HTTP
	AccessKey, SecretKey string
}

// Start runs versitygw on a free 127.0.0.1 port over a temporary
// directory and kills it when the test ends. Without the binary the test
// fails, or skips under testenv's opt-out.
func Start(t testing.TB) Server {
	t.Helper()
	bin := find()
	if bin == "" {
		testenv.Missing(t, "versitygw (looked in $PATH and $(go env GOPATH)/bin)", install)
	}
	dir := t.TempDir()
	var errs []error
	for range startAttempts {
		srv, stop, err := start(bin, dir)
		if err == nil {
			t.Cleanup(stop)
			return srv
		}
		errs = append(errs, err)
	}
	t.Fatalf("start %s: %v", bin, errors.Join(errs...))
	return Server{}
}

// find looks where blobtest does, so the server module's tests and these
// find the same binary: $PATH, then each GOPATH's bin (go install's target).
func find() string {
	if path, err := exec.LookPath("versitygw"); err == nil {
		return path
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return ""
	}
	lines := strings.SplitN(string(out), "\n", 2)
	dirs := []string{strings.TrimSpace(lines[0])}
	if len(lines) == 2 {
		for _, p := range filepath.SplitList(strings.TrimSpace(lines[1])) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	for _, dir := range dirs {
		path := filepath.Join(dir, "versitygw")
		if info, err := os.Stat(path); dir != "" && err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return path
		}
	}
	return ""
}

func start(bin, dir string) (Server, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Server{}, nil, err
	}
	addr := l.Addr().String()
	l.Close()
	return startAt(bin, dir, addr)
}

func startAt(bin, dir, addr string) (Server, func(), error) {
	cmd := exec.Command(bin, "--port", addr, "--health", healthPath, "--quiet", "posix", dir)
	// VGW_ and ROOT_ variables would override these flags and keys.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "ROOT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "ROOT_ACCESS_KEY="+access, "ROOT_SECRET_KEY="+secret)
	var output bytes.Buffer // read only after the process has exited
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		return Server{}, nil, err
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}
	deadline := time.After(startTimeout)
	client := &http.Client{Timeout: time.Second}
	for {
		if resp, err := client.Get("http://" + addr + healthPath); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return Server{Endpoint: addr, AccessKey: access, SecretKey: secret}, stop, nil
			}
		}
		select {
		case <-exited:
			return Server{}, nil, fmt.Errorf("%s: versitygw exited during startup:\n%s", addr, output.Bytes())
		case <-deadline:
			stop()
			return Server{}, nil, fmt.Errorf("%s: not healthy after %v:\n%s", addr, startTimeout, output.Bytes())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// CreateBucket creates a bucket; `sluice serve` expects one to exist.
func (s Server) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	if _, err := s.call(http.MethodPut, "/"+bucket, nil); err != nil {
		t.Fatalf("create bucket %s: %v", bucket, err)
	}
}

// Keys lists the object keys in a bucket that start with prefix (at most
// 1000, one page).
func (s Server) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	body, err := s.call(http.MethodGet, "/"+bucket, url.Values{"list-type": {"2"}, "prefix": {prefix}})
	if err != nil {
		t.Fatalf("list bucket %s: %v", bucket, err)
	}
	var list struct {
		Contents []struct{ Key string }
	}
	if err := xml.Unmarshal(body, &list); err != nil {
		t.Fatalf("list bucket %s: %v: %.300s", bucket, err, body)
	}
	var keys []string
	for _, c := range list.Contents {
		keys = append(keys, c.Key)
	}
	return keys
}

// call makes one signed, bodiless, path-style request and returns the
// body of a 2xx reply.
func (s Server) call(method, path string, query url.Values) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	u := url.URL{Scheme: "http", Host: s.Endpoint, Path: path, RawQuery: query.Encode()}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	empty := sha256.Sum256(nil)
	payload := hex.EncodeToString(empty[:])
	req.Header.Set("X-Amz-Content-Sha256", payload)
	creds := aws.Credentials{AccessKeyID: s.AccessKey, SecretAccessKey: s.SecretKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, payload, "s3", region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %s: %.300s", method, path, resp.Status, body)
	}
	return body, nil
}

// Process is a versitygw a fault test stops and starts again, on the same
// port and directory, so clients that knew it reach it again.
type Process struct {
	Server
	// Dir is the posix backend's directory: an object is the file
	// Dir/bucket/key.
	Dir  string
	bin  string
	stop func()
}

// StartProcess is Start for a server the test stops and restarts.
func StartProcess(t testing.TB) *Process {
	t.Helper()
	bin := find()
	if bin == "" {
		testenv.Missing(t, "versitygw (looked in $PATH and $(go env GOPATH)/bin)", install)
	}
	p := &Process{Dir: t.TempDir(), bin: bin}
	var errs []error
	for range startAttempts {
		srv, stop, err := start(bin, p.Dir)
		if err == nil {
			p.Server, p.stop = srv, stop
			t.Cleanup(p.Stop)
			return p
		}
		errs = append(errs, err)
	}
	t.Fatalf("start %s: %v", bin, errors.Join(errs...))
	return nil
}

// Stop kills the server (SIGKILL); it is a no-op when it is stopped.
func (p *Process) Stop() {
	if p.stop != nil {
		p.stop()
		p.stop = nil
	}
}

// Restart starts the stopped server again on its address and directory.
func (p *Process) Restart() error {
	if p.stop != nil {
		return errors.New("versitygw is running")
	}
	var errs []error
	for range startAttempts { // the port may linger a moment
		_, stop, err := startAt(p.bin, p.Dir, p.Endpoint)
		if err == nil {
			p.stop = stop
			return nil
		}
		errs = append(errs, err)
		time.Sleep(200 * time.Millisecond)
	}
	return errors.Join(errs...)
}
