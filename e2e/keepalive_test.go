package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// curlClient speaks HTTP/1.1 over raw TCP as libcurl does for a form
// POST: Nagle's algorithm on (as libcurl before 7.50.2 leaves it), the
// headers in one write and the body in another, optionally after waiting
// for "100 Continue".
type curlClient struct {
	p         *sluiceproc.Process
	keepAlive bool
	expect    bool
	conn      net.Conn
	br        *bufio.Reader
}

func (c *curlClient) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// post signs and sends params and returns the reply's status and body.
func (c *curlClient) post(t *testing.T, params url.Values) (int, string) {
	t.Helper()
	params.Set("Version", "2012-11-05")
	body := params.Encode()
	host := strings.TrimPrefix(c.p.Endpoint, "http://")
	req, _ := http.NewRequest(http.MethodPost, c.p.Endpoint+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: c.p.AccessKey, SecretAccessKey: c.p.SecretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sqs", c.p.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	var head strings.Builder
	fmt.Fprintf(&head, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", host, len(body))
	for k, v := range req.Header {
		fmt.Fprintf(&head, "%s: %s\r\n", k, v[0])
	}
	if c.expect {
		head.WriteString("Expect: 100-continue\r\n")
	}
	head.WriteString("\r\n")

	if c.conn == nil || !c.keepAlive {
		c.close()
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		if err := conn.(*net.TCPConn).SetNoDelay(false); err != nil {
			t.Fatal(err)
		}
		c.conn, c.br = conn, bufio.NewReader(conn)
	}
	if _, err := io.WriteString(c.conn, head.String()); err != nil {
		t.Fatal(err)
	}
	if c.expect {
		if resp, err := http.ReadResponse(c.br, nil); err != nil || resp.StatusCode != http.StatusContinue {
			t.Fatalf("want 100 Continue, got %v, %v", resp, err)
		}
	}
	if _, err := io.WriteString(c.conn, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(reply)
}

// TestKeepAliveNotSlowerForCurlClients sends 3 KiB messages and receives
// (WaitTimeSeconds=0) through Query form posts as libcurl makes them (the
// client of kombu's SQS transport, which Celery uses), on one keep-alive
// connection and on a fresh connection a request; keep-alive must not be
// slower. It was, by the server's delayed ACK (~40 ms) a request, before
// httpserve's QuickAckListener.
func TestKeepAliveNotSlowerForCurlClients(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	setup := &curlClient{p: p}
	defer setup.close()
	status, reply := setup.post(t, url.Values{"Action": {"CreateQueue"}, "QueueName": {"curl-keepalive"}})
	if status != http.StatusOK {
		t.Fatalf("CreateQueue: %d %s", status, reply)
	}
	queue := p.Endpoint + "/" + p.AccountID + "/curl-keepalive"
	// run returns the median time of n sends and receives.
	run := func(c *curlClient) time.Duration {
		defer c.close()
		const n = 30
		var times []time.Duration
		for i := range n {
			params := url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {queue}, "MaxNumberOfMessages": {"10"}, "WaitTimeSeconds": {"0"}}
			if i%2 == 0 {
				params = url.Values{"Action": {"SendMessage"}, "QueueUrl": {queue}, "MessageBody": {strings.Repeat("m", 3<<10)}}
			}
			start := time.Now()
			if status, reply := c.post(t, params); status != http.StatusOK {
				t.Fatalf("%s: %d %s", params.Get("Action"), status, reply)
			}
			times = append(times, time.Since(start))
		}
		slices.Sort(times)
		return times[n/2]
	}
	for _, expect := range []bool{false, true} {
		fresh := run(&curlClient{p: p, expect: expect})
		reused := run(&curlClient{p: p, expect: expect, keepAlive: true})
		t.Logf("Expect: 100-continue %v: median per request %v on fresh connections, %v on one keep-alive connection", expect, fresh, reused)
		// Generous for a noisy machine; a delayed ACK alone is 40 ms.
		if reused > 2*fresh+15*time.Millisecond {
			t.Errorf("Expect: 100-continue %v: keep-alive requests took %v each, on fresh connections %v", expect, reused, fresh)
		}
	}
}
