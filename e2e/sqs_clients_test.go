package e2e

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/e2e/internal/testenv"
)

// requireTool finds a client program; its absence fails the test (see
// testenv). `make test-deps` installs them all.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	return testenv.LookPath(t, name, toolInstall[name])
}

// toolInstall says how to install each client requireTool looks for, on
// Debian or Ubuntu.
var toolInstall = map[string]string{
	"aws":  "apt-get install awscli",
	"node": "apt-get install nodejs npm",
}

// requireBoto3 finds a python3 that can import boto3.
func requireBoto3(t *testing.T) string {
	t.Helper()
	const install = "apt-get install python3-boto3"
	python := testenv.LookPath(t, "python3", install)
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		testenv.Missing(t, "boto3 ("+python+": "+strings.TrimSpace(string(out))+")", install)
	}
	return python
}

// clientEnv is the environment a user would set for the dev tenant, with
// a private HOME so no local AWS config leaks in.
func clientEnv(t *testing.T, p *sluiceproc.Process) []string {
	home := t.TempDir()
	return append(os.Environ(),
		"HOME="+home,
		"AWS_CONFIG_FILE="+filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID="+p.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+p.SecretKey,
		"AWS_DEFAULT_REGION="+p.Region,
		"AWS_REGION="+p.Region,
		"AWS_EC2_METADATA_DISABLED=true",
		"SLUICE_ENDPOINT="+p.Endpoint,
	)
}

func runTool(t *testing.T, env []string, dir string, name string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env, cmd.Dir = env, dir
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// TestAWSCLI drives `aws sqs` as a user would.
func TestAWSCLI(t *testing.T) {
	awsCLI := requireTool(t, "aws")
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	env := clientEnv(t, p)
	cli := func(args ...string) map[string]any {
		t.Helper()
		out, errOut, err := runTool(t, env, "", awsCLI, append([]string{"--endpoint-url", p.Endpoint, "--output", "json", "sqs"}, args...)...)
		if err != nil {
			t.Fatalf("aws sqs %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		var v map[string]any
		if strings.TrimSpace(out) != "" {
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("aws sqs %s printed %q", args[0], out)
			}
		}
		return v
	}
	q := cli("create-queue", "--queue-name", "cli-queue", "--attributes", "VisibilityTimeout=20")["QueueUrl"].(string)
	if !strings.HasSuffix(q, "/"+p.AccountID+"/cli-queue") {
		t.Fatalf("QueueUrl %s", q)
	}
	cli("send-message", "--queue-url", q, "--message-body", "from the CLI",
		"--message-attributes", `{"kind":{"DataType":"String","StringValue":"cli"}}`)
	got := cli("receive-message", "--queue-url", q, "--message-attribute-names", "All", "--attribute-names", "All", "--wait-time-seconds", "2")
	msgs, _ := got["Messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("receive-message = %v", got)
	}
	m := msgs[0].(map[string]any)
	if m["Body"] != "from the CLI" || m["MessageAttributes"].(map[string]any)["kind"].(map[string]any)["StringValue"] != "cli" {
		t.Fatalf("message = %v", m)
	}
	cli("delete-message", "--queue-url", q, "--receipt-handle", m["ReceiptHandle"].(string))
	attrs := cli("get-queue-attributes", "--queue-url", q, "--attribute-names", "All")["Attributes"].(map[string]any)
	if attrs["VisibilityTimeout"] != "20" || attrs["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("attributes = %v", attrs)
	}
	if urls := cli("list-queues")["QueueUrls"].([]any); len(urls) != 1 {
		t.Fatalf("list-queues = %v", urls)
	}

	_, errOut, err := runTool(t, env, "", awsCLI, "--endpoint-url", p.Endpoint, "sqs", "get-queue-url", "--queue-name", "missing")
	if err == nil || !strings.Contains(errOut, "AWS.SimpleQueueService.NonExistentQueue") {
		t.Fatalf("get-queue-url of a missing queue: err %v, stderr %s", err, errOut)
	}
	cli("delete-queue", "--queue-url", q)
}

// TestBoto3 runs a batch round trip through boto3, which checks digests.
func TestBoto3(t *testing.T) {
	python := requireBoto3(t)
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	script := `
import os, boto3, botocore
sqs = boto3.client("sqs", endpoint_url=os.environ["SLUICE_ENDPOINT"])
q = sqs.create_queue(QueueName="boto-queue", tags={"lang": "python"})["QueueUrl"]
entries = [{"Id": "m%d" % i, "MessageBody": "boto body %d" % i,
            "MessageAttributes": {"n": {"DataType": "Number", "StringValue": str(i)},
                                  "b": {"DataType": "Binary", "BinaryValue": bytes([i, 255])}}}
           for i in range(10)]
sent = sqs.send_message_batch(QueueUrl=q, Entries=entries)
assert len(sent["Successful"]) == 10 and not sent.get("Failed"), sent
seen = {}
while len(seen) < 10:
    r = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=2,
                            MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
    for m in r.get("Messages", []):
        i = int(m["MessageAttributes"]["n"]["StringValue"])
        assert m["Body"] == "boto body %d" % i, m
        assert m["MessageAttributes"]["b"]["BinaryValue"] == bytes([i, 255]), m
        seen[m["MessageId"]] = m["ReceiptHandle"]
d = sqs.delete_message_batch(QueueUrl=q, Entries=[{"Id": "d%d" % i, "ReceiptHandle": h} for i, h in enumerate(seen.values())])
assert len(d["Successful"]) == 10, d
assert sqs.list_queue_tags(QueueUrl=q)["Tags"] == {"lang": "python"}
try:
    sqs.get_queue_url(QueueName="missing")
    raise SystemExit("missing queue found")
except sqs.exceptions.QueueDoesNotExist as e:
    assert e.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue", e.response
print("ok", botocore.__version__)
`
	out, errOut, err := runTool(t, clientEnv(t, p), "", python, "-c", script)
	if err != nil || !strings.HasPrefix(out, "ok") {
		t.Fatalf("boto3: %v\n%s%s", err, out, errOut)
	}
	t.Logf("boto3 round trip: %s", strings.TrimSpace(out))
}

// TestBoto3FIFO uses a FIFO queue from boto3: sequence numbers, group
// order, deduplication, the attempt-id retry and SQS's error codes.
func TestBoto3FIFO(t *testing.T) {
	python := requireBoto3(t)
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	script := `
import os, boto3, botocore
sqs = boto3.client("sqs", endpoint_url=os.environ["SLUICE_ENDPOINT"])
q = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
assert attrs["FifoQueue"] == "true" and attrs["DeduplicationScope"] == "queue" and attrs["FifoThroughputLimit"] == "perQueue", attrs
seqs = []
for i in range(5):
    r = sqs.send_message(QueueUrl=q, MessageBody="job %d" % i, MessageGroupId="g1")
    seqs.append(int(r["SequenceNumber"]))
assert seqs == sorted(seqs) and len(set(seqs)) == 5, seqs
dup = sqs.send_message(QueueUrl=q, MessageBody="job 0", MessageGroupId="g1")
first = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=3, ReceiveRequestAttemptId="a1", MessageSystemAttributeNames=["All"])["Messages"]
assert [m["Body"] for m in first] == ["job 0", "job 1", "job 2"], first
assert first[0]["MessageId"] == dup["MessageId"], (first[0], dup)
assert first[0]["Attributes"]["MessageGroupId"] == "g1" and int(first[0]["Attributes"]["SequenceNumber"]) == seqs[0]
retry = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=3, ReceiveRequestAttemptId="a1")["Messages"]
assert [m["ReceiptHandle"] for m in retry] == [m["ReceiptHandle"] for m in first]
assert "Messages" not in sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10), "group must stay locked"
for m in first:
    sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
rest = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10)["Messages"]
assert [m["Body"] for m in rest] == ["job 3", "job 4"], rest
for args, code in [
    (dict(MessageBody="x"), "MissingParameter"),
    (dict(MessageBody="x", MessageGroupId="g", DelaySeconds=3), "InvalidParameterValue"),
    (dict(MessageBody="x", MessageGroupId="g", MessageDeduplicationId="has space"), "InvalidParameterValue"),
]:
    try:
        sqs.send_message(QueueUrl=q, **args)
        raise SystemExit("accepted %r" % args)
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == code, (args, e.response)
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response
print("ok", botocore.__version__)
`
	out, errOut, err := runTool(t, clientEnv(t, p), "", python, "-c", script)
	if err != nil || !strings.HasPrefix(out, "ok") {
		t.Fatalf("boto3: %v\n%s%s", err, out, errOut)
	}
}

// TestJavaScriptSDK runs e2e/js/roundtrip.mjs with @aws-sdk/client-sqs.
func TestJavaScriptSDK(t *testing.T) {
	node := requireTool(t, "node")
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "js")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-sqs")); err != nil {
		testenv.Missing(t, "@aws-sdk/client-sqs (e2e/js/node_modules)", "`npm ci` in e2e/js")
	}
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	out, errOut, err := runTool(t, clientEnv(t, p), dir, node, "roundtrip.mjs")
	if err != nil || !strings.Contains(out, `"ok":true`) {
		t.Fatalf("JavaScript SDK: %v\n%s%s", err, out, errOut)
	}
}

// TestQueryProtocolSigned sends SigV4-signed Query requests (a form post
// and a presigned GET) and reads the XML replies.
func TestQueryProtocolSigned(t *testing.T) {
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	creds := aws.Credentials{AccessKeyID: p.AccessKey, SecretAccessKey: p.SecretKey}
	signer := v4.NewSigner()
	post := func(params url.Values) (int, []byte) {
		t.Helper()
		body := params.Encode()
		req, _ := http.NewRequest(http.MethodPost, p.Endpoint+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sum := sha256.Sum256([]byte(body))
		if err := signer.SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sqs", p.Region, time.Now()); err != nil {
			t.Fatal(err)
		}
		return do(t, req)
	}
	status, body := post(url.Values{"Action": {"CreateQueue"}, "Version": {"2012-11-05"}, "QueueName": {"query-q"},
		"Attribute.1.Name": {"DelaySeconds"}, "Attribute.1.Value": {"0"}})
	var created struct {
		URL       string `xml:"CreateQueueResult>QueueUrl"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if status != 200 || xml.Unmarshal(body, &created) != nil || created.URL == "" || created.RequestID == "" {
		t.Fatalf("CreateQueue: %d %s", status, body)
	}
	status, body = post(url.Values{"Action": {"SendMessage"}, "Version": {"2012-11-05"}, "QueueUrl": {created.URL},
		"MessageBody": {"query body & <tags>"}})
	var sent struct {
		MessageID string `xml:"SendMessageResult>MessageId"`
		MD5       string `xml:"SendMessageResult>MD5OfMessageBody"`
	}
	if status != 200 || xml.Unmarshal(body, &sent) != nil || sent.MessageID == "" || sent.MD5 != md5Hex("query body & <tags>") {
		t.Fatalf("SendMessage: %d %s", status, body)
	}

	// A presigned GET, as SDKs build for Query clients.
	req, _ := http.NewRequest(http.MethodGet, p.Endpoint+"/?Action=GetQueueUrl&Version=2012-11-05&QueueName=query-q&X-Amz-Expires=300", nil)
	signed, _, err := signer.PresignHTTP(context.Background(), creds, req, hex.EncodeToString(sha256.New().Sum(nil)), "sqs", p.Region, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodGet, signed, nil)
	status, body = do(t, req)
	var got struct {
		URL string `xml:"GetQueueUrlResult>QueueUrl"`
	}
	if status != 200 || xml.Unmarshal(body, &got) != nil || got.URL != created.URL {
		t.Fatalf("presigned GetQueueUrl: %d %s", status, body)
	}

	// Errors come back as ErrorResponse XML with SQS's code and status.
	status, body = post(url.Values{"Action": {"GetQueueUrl"}, "Version": {"2012-11-05"}, "QueueName": {"missing"}})
	var e struct {
		Type string `xml:"Error>Type"`
		Code string `xml:"Error>Code"`
	}
	if status != 400 || xml.Unmarshal(body, &e) != nil || e.Code != "AWS.SimpleQueueService.NonExistentQueue" || e.Type != "Sender" {
		t.Fatalf("missing queue: %d %s", status, body)
	}
	req, _ = http.NewRequest(http.MethodPost, p.Endpoint+"/", strings.NewReader("Action=ListQueues&Version=2012-11-05"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, body = do(t, req)
	if status != 403 || xml.Unmarshal(body, &e) != nil || e.Code != "MissingClientTokenId" {
		t.Fatalf("unsigned request: %d %s", status, body)
	}
}

func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
