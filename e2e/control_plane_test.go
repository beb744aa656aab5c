package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// rest calls the control plane with a bearer token and decodes the reply.
func rest(t *testing.T, p *sluiceproc.Process, token, method, path, body string, wantStatus int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, p.Endpoint+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, wantStatus, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

// accessKey is a key the control plane created.
type accessKey struct{ AccessKeyID, SecretAccessKey string }

// newTenant creates a tenant over REST with the operator token (body is
// the create request), gives it a key, and returns an SQS client for it.
func newTenant(t *testing.T, p *sluiceproc.Process, body string) (account string, key accessKey, client *sqs.Client) {
	t.Helper()
	var tenant struct{ AccountID string }
	rest(t, p, p.OperatorToken, "POST", "/v1/tenants", body, 201, &tenant)
	rest(t, p, p.OperatorToken, "POST", "/v1/tenants/"+tenant.AccountID+"/keys", "", 201, &key)
	return tenant.AccountID, key, sqsClientFor(p, key.AccessKeyID, key.SecretAccessKey)
}

// TestControlPlaneTenants: with the operator token `sluice dev` prints, a
// second tenant and its key are made over REST; that tenant's SQS calls
// work, never reach the first tenant's queues, and stop while it is
// suspended. `sluice token create` mints a tenant-admin token that sees
// only its own account.
func TestControlPlaneTenants(t *testing.T) {
	data := t.TempDir()
	p := sluiceproc.StartDev(t, "--data", data)
	if p.OperatorToken == "" {
		t.Fatal("sluice dev printed no operator token")
	}
	ctx := context.Background()
	a := sqsClient(p, p.SecretKey)
	if _, err := a.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("a-only")}); err != nil {
		t.Fatal(err)
	}

	account, key, b := newTenant(t, p, `{"name":"beta"}`)

	if _, err := b.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("b-queue")}); err != nil {
		t.Fatalf("new tenant's key refused: %v", err)
	}
	list, err := b.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil || len(list.QueueUrls) != 1 || !strings.Contains(list.QueueUrls[0], account) {
		t.Fatalf("tenant B lists %v, %v", list, err)
	}
	_, err = b.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("a-only"), QueueOwnerAWSAccountId: aws.String(p.AccountID)})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")

	rest(t, p, p.OperatorToken, "POST", "/v1/tenants/"+account+"/suspend", "", 200, nil)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err = b.ListQueues(ctx, &sqs.ListQueuesInput{})
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantCode(t, err, "AccessDenied")
	rest(t, p, p.OperatorToken, "POST", "/v1/tenants/"+account+"/resume", "", 200, nil)

	// Key rotation: a second key works beside the first; the first, once
	// disabled, stops working within the key cache's TTL.
	var second accessKey
	rest(t, p, p.OperatorToken, "POST", "/v1/tenants/"+account+"/keys", "", 201, &second)
	b2 := sqsClientFor(p, second.AccessKeyID, second.SecretAccessKey)
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 5 s", what)
			}
		}
	}
	waitFor("B works again after resume", func() bool { _, err := b.ListQueues(ctx, &sqs.ListQueuesInput{}); return err == nil })
	if _, err := b2.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("second key: %v", err)
	}
	rest(t, p, p.OperatorToken, "PATCH", "/v1/tenants/"+account+"/keys/"+key.AccessKeyID, `{"status":"inactive"}`, 200, nil)
	waitFor("the disabled key refused", func() bool { _, err := b.ListQueues(ctx, &sqs.ListQueuesInput{}); return err != nil })
	_, err = b.ListQueues(ctx, &sqs.ListQueuesInput{})
	wantCode(t, err, "InvalidClientTokenId")
	if _, err := b2.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Fatalf("second key after the first was disabled: %v", err)
	}

	code, out := sluiceproc.Run(t, 20*time.Second, "token", "create", "--data", data, "--role", "tenant-admin", "--tenant", account, "--ttl", "1h")
	if code != 0 {
		t.Fatalf("sluice token create: exit %d: %s", code, out)
	}
	admin := strings.TrimSpace(out)
	rest(t, p, admin, "GET", "/v1/tenants/"+account+"/keys", "", 200, nil)
	rest(t, p, admin, "GET", "/v1/tenants/"+p.AccountID+"/keys", "", 403, nil)
	rest(t, p, admin, "GET", "/v1/tenants", "", 403, nil)
	rest(t, p, "not-a-token", "GET", "/v1/tenants", "", 401, nil)
}
