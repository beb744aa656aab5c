package main

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const (
	testAccessKey = "AKIDEXAMPLE12345"
	testSecretKey = "dev-secret-for-tests"
)

func devClient(endpoint, region string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:           region,
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		RetryMaxAttempts: 1,
	})
}

// --account-id fixes the dev tenant's account on the first start; later
// starts take the same id or none, and refuse another, naming the
// existing id and the flag.
func TestDevAccountID(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	keys := []string{"--data", data, "--listen", "127.0.0.1:0", "--access-key", testAccessKey, "--secret-key", testSecretKey}
	queueURLOf := func(endpoint string) string {
		t.Helper()
		out, err := devClient(endpoint, "us-east-1").CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fixture")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.QueueUrl)
	}
	endpoint, stop := startDev(t, append(keys, "--account-id", "000000000000")...)
	if u := queueURLOf(endpoint); u != endpoint+"/000000000000/fixture" {
		t.Fatalf("QueueUrl %s", u)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, args := range [][]string{keys, append(keys, "--account-id", "000000000000")} {
		endpoint, stop = startDev(t, args...)
		if u := queueURLOf(endpoint); u != endpoint+"/000000000000/fixture" {
			t.Fatalf("restarted with %v: QueueUrl %s", args, u)
		}
		if code := stop(); code != 0 {
			t.Fatalf("exit %d", code)
		}
	}

	for _, tc := range []struct{ id, want string }{
		{"123456789012", "--account-id 123456789012: the dev tenant in this --data already has account id 000000000000"},
		{"12345", `--account-id "12345": want 12 digits`},
		{"12345678901x", `--account-id "12345678901x": want 12 digits`},
	} {
		var stdout, stderr syncBuffer
		runCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		code := run(runCtx, append([]string{"dev"}, append(keys, "--account-id", tc.id)...), &stdout, &stderr, noEnv)
		cancel()
		if code != 1 || !strings.Contains(stderr.String(), tc.want) {
			t.Fatalf("--account-id %s: exit %d, stderr %q; want 1 and %q", tc.id, code, stderr.String(), tc.want)
		}
	}
}

// `sluice dev` serves every AWS commercial region by default, --regions
// narrows that (--region is always served), and --queue-recreate-delay 0
// lets a deleted queue's name be taken again at once.
func TestDevRegionsAndRecreateDelay(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keys := []string{"--listen", "127.0.0.1:0", "--access-key", testAccessKey, "--secret-key", testSecretKey}

	endpoint, stop := startDev(t, append(keys, "--data", filepath.Join(dir, "a"), "--queue-recreate-delay", "0")...)
	for _, region := range []string{"us-east-1", "ap-southeast-5", "mx-central-1"} {
		c := devClient(endpoint, region)
		q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fixture")})
		if err != nil {
			t.Fatalf("%s: %v", region, err)
		}
		if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fixture")}); err != nil {
			t.Fatalf("%s: recreate with --queue-recreate-delay 0: %v", region, err)
		}
	}
	_, err := devClient(endpoint, "cn-north-1").ListQueues(ctx, &sqs.ListQueuesInput{})
	wantRefusedRegion(t, err, "cn-north-1")
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}

	endpoint, stop = startDev(t, append(keys, "--data", filepath.Join(dir, "b"), "--region", "eu-west-1", "--regions", "us-east-2")...)
	defer stop()
	for _, region := range []string{"eu-west-1", "us-east-2"} {
		if _, err := devClient(endpoint, region).ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
			t.Fatalf("%s: %v", region, err)
		}
	}
	_, err = devClient(endpoint, "us-east-1").ListQueues(ctx, &sqs.ListQueuesInput{})
	wantRefusedRegion(t, err, "us-east-1")
	// The default window holds without the setting.
	c := devClient(endpoint, "eu-west-1")
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fixture")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("fixture")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AWS.SimpleQueueService.QueueDeletedRecently" {
		t.Fatalf("recreate at once by default: %v", err)
	}
}

func wantRefusedRegion(t *testing.T, err error, region string) {
	t.Helper()
	var ae smithy.APIError
	var re *smithyhttp.ResponseError
	want := "Credential should be scoped to a valid region, not '" + region + "'. "
	if !errors.As(err, &ae) || !errors.As(err, &re) || ae.ErrorCode() != "SignatureDoesNotMatch" || re.HTTPStatusCode() != http.StatusForbidden || ae.ErrorMessage() != want {
		t.Fatalf("region %s: want 403 SignatureDoesNotMatch %q, got %v", region, want, err)
	}
}
