package chaos

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/e2e/chaos/history"
	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/e2e/internal/versitygw"
	"github.com/sluice-mq/sluice/sdk/awshttp"
)

// blobScenario is `sluice serve` (the tikv driver over the mock store)
// with versitygw as its S3, every queue tiered with a hot window of 0, and
// the load of TestKillDev recorded for the checker: the blob-store fault
// scenarios' common part.
type blobScenario struct {
	p    *sluiceproc.Process
	urls map[string]string
	rec  *history.Recorder

	newClient                    func() *sqs.Client
	stopProducers, stopConsumers func() // each returns once its workers have
}

// startBlobScenario starts sluice serve on versitygw's bucket, reached at
// s3Endpoint (versitygw's own, or a proxy's in front of it), and the load:
// producers pausing pace after each send call.
func startBlobScenario(t *testing.T, gw *versitygw.Process, bucket, s3Endpoint string, pace time.Duration) *blobScenario {
	t.Helper()
	bin := sluiceproc.MockTiKVBinary(t)
	jwtKey := writeKeyFile(t, "jwt.key", "8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
	p := sluiceproc.StartServe(t, bin, "--role", "all", "--pd", "mock://",
		"--s3-endpoint", s3Endpoint, "--s3-bucket", bucket, "--s3-secure=false",
		"--s3-access-key", gw.AccessKey, "--s3-secret-key", gw.SecretKey,
		"--master-key-file", writeKeyFile(t, "master.key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
		"--jwt-key-file", jwtKey, "--tier-interval", "300ms")
	t.Cleanup(func() {
		if t.Failed() && slowCallDump(t) > 0 {
			if f, err := os.CreateTemp("", "sluice-serve-stderr-*.log"); err == nil {
				_, _ = f.WriteString(p.Stderr())
				f.Close()
				t.Logf("sluice serve's whole log (with any goroutine dump) kept in %s", f.Name())
			}
		}
		if t.Failed() {
			// The mock store refuses 1PC and client-go warns of it at
			// every commit; those lines would hide everything else.
			t.Logf("sluice serve's last log, client-go's 1PC warnings left out:\n%s",
				tailLines(dropLines(p.Stderr(), "1pc failed and fallbacks"), 60))
		}
	})
	code, out := sluiceproc.RunBinary(t, bin, 30*time.Second, "token", "create", "--role", "operator", "--jwt-key-file", jwtKey)
	if code != 0 {
		t.Fatalf("sluice token create: exit %d: %s", code, out)
	}
	p.OperatorToken = strings.TrimSpace(out)
	var tenant struct{ AccountID string }
	operatorCall(t, p, "POST", "/v1/tenants", `{"name":"chaos"}`, &tenant)
	var key struct{ AccessKeyID, SecretAccessKey string }
	operatorCall(t, p, "POST", "/v1/tenants/"+tenant.AccountID+"/keys", "", &key)
	p.AccountID = tenant.AccountID
	s := &blobScenario{p: p, rec: history.NewRecorder()}
	dumpAfter := slowCallDump(t)
	s.newClient = func() *sqs.Client {
		hc := &http.Client{}
		if dumpAfter > 0 {
			hc.Transport = dumpOnSlowCall{next: http.DefaultTransport.(*http.Transport).Clone(), pid: p.PID(), after: dumpAfter}
		}
		return sqs.New(sqs.Options{
			Region: p.Region, BaseEndpoint: aws.String(p.Endpoint),
			Credentials:      credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, ""),
			RetryMaxAttempts: 1, HTTPClient: awshttp.NewClient(hc),
		})
	}
	s.urls = setupQueues(t, p, s.newClient())
	s.startLoad(t, pace)
	return s
}

// startLoad starts the mixed load, its producers pausing pace after each
// send call.
func (s *blobScenario) startLoad(t *testing.T, pace time.Duration) {
	pctx, stopProducers := context.WithCancel(context.Background())
	cctx, stopConsumers := context.WithCancel(context.Background())
	l := startMixedLoad(pctx, cctx, s.newClient, s.rec, s.urls, 2, producerPace{std: pace, fifo: pace})
	s.stopProducers = sync.OnceFunc(func() { stopProducers(); l.producers.Wait() })
	s.stopConsumers = sync.OnceFunc(func() { stopConsumers(); l.consumers.Wait() })
	t.Cleanup(s.stopProducers)
	t.Cleanup(s.stopConsumers)
}

// fault records a fault the test injected, for the checker's report.
func (s *blobScenario) fault(invoke time.Duration, what string) {
	s.rec.Add(history.Op{Client: "nemesis", Kind: history.Fault, Invoke: invoke, Complete: s.rec.Now(), Err: what})
}

// SlowCallDumpEnv, set to a duration, makes a blob scenario's server
// print its goroutines (SIGQUIT, which ends it and so the run) when a
// client's call has waited that long for its answer: set just under the
// clients' 5 s deadline, it shows what held a call that would pass it.
const SlowCallDumpEnv = "SLUICE_CHAOS_DUMP_SLOW"

func slowCallDump(t *testing.T) time.Duration {
	s := os.Getenv(SlowCallDumpEnv)
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a duration such as 4s", SlowCallDumpEnv, s)
	}
	return d
}

// dumpOnSlowCall sends pid SIGQUIT when a request has had no answer
// after after.
type dumpOnSlowCall struct {
	next  http.RoundTripper
	pid   int
	after time.Duration
}

func (d dumpOnSlowCall) RoundTrip(r *http.Request) (*http.Response, error) {
	timer := time.AfterFunc(d.after, func() { _ = syscall.Kill(d.pid, syscall.SIGQUIT) })
	defer timer.Stop()
	return d.next.RoundTrip(r)
}
