package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
)

// TestAWSCLIQueueNameAsURL: `aws sqs ... --queue-url demo` works as on SQS,
// against a dev tenant whose account id --account-id fixed, and with
// --queue-recreate-delay 0 a deleted queue is made again at once; a
// QueueUrl that is neither a URL nor a name is InvalidAddress (404).
func TestAWSCLIQueueNameAsURL(t *testing.T) {
	awsCLI := requireTool(t, "aws")
	p := sluiceproc.StartDev(t, "--data", t.TempDir(), "--account-id", "000000000000", "--queue-recreate-delay", "0")
	if p.AccountID != "000000000000" {
		t.Fatalf("account id %s", p.AccountID)
	}
	env := clientEnv(t, p)
	cli := func(args ...string) string {
		t.Helper()
		out, errOut, err := runTool(t, env, "", awsCLI, append([]string{"--endpoint-url", p.Endpoint, "--output", "text", "sqs"}, args...)...)
		if err != nil {
			t.Fatalf("aws sqs %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		return strings.TrimSpace(out)
	}
	if q := cli("create-queue", "--queue-name", "demo"); q != p.Endpoint+"/000000000000/demo" {
		t.Fatalf("QueueUrl %s", q)
	}
	cli("send-message", "--queue-url", "demo", "--message-body", "by name")
	if out := cli("receive-message", "--queue-url", "demo", "--wait-time-seconds", "2", "--query", "Messages[0].Body"); out != "by name" {
		t.Fatalf("receive-message --queue-url demo: %q", out)
	}
	cli("delete-queue", "--queue-url", "demo")
	cli("create-queue", "--queue-name", "demo") // --queue-recreate-delay 0

	_, errOut, err := runTool(t, env, "", awsCLI, "--debug", "--endpoint-url", p.Endpoint, "sqs", "receive-message", "--queue-url", "not a queue")
	if err == nil || !strings.Contains(errOut, "An error occurred (InvalidAddress) when calling the ReceiveMessage operation: The address not a queue is not valid for this endpoint.") {
		t.Fatalf("receive-message --queue-url 'not a queue': err %v, stderr tail %s", err, tail(errOut))
	}
	if !regexp.MustCompile(`"POST / HTTP/1\.1" 404 `).MatchString(errOut) {
		t.Fatalf("InvalidAddress not a 404: %s", tail(errOut))
	}
}

// TestBoto3Regions: boto3 clients for two regions against one endpoint
// (`sluice dev --regions`) get two queues of one name, each in its region;
// a region the endpoint does not serve is refused as SQS refuses it.
func TestBoto3Regions(t *testing.T) {
	python := requireBoto3(t)
	p := sluiceproc.StartDev(t, "--data", t.TempDir(), "--regions", "us-east-1,eu-west-1")
	script := `
import os, boto3, botocore
def client(region):
    return boto3.client("sqs", endpoint_url=os.environ["SLUICE_ENDPOINT"], region_name=region)
us, eu = client("us-east-1"), client("eu-west-1")
acct = os.environ["ACCOUNT"]
qus = us.create_queue(QueueName="orders")["QueueUrl"]
qeu = eu.create_queue(QueueName="orders")["QueueUrl"]
assert qus == qeu == os.environ["SLUICE_ENDPOINT"] + "/" + acct + "/orders", (qus, qeu)
arn = lambda c, q: c.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
assert arn(us, qus) == "arn:aws:sqs:us-east-1:%s:orders" % acct, arn(us, qus)
assert arn(eu, qeu) == "arn:aws:sqs:eu-west-1:%s:orders" % acct, arn(eu, qeu)
eu.create_queue(QueueName="eu-only")
assert [u.rsplit("/", 1)[1] for u in us.list_queues()["QueueUrls"]] == ["orders"]
assert [u.rsplit("/", 1)[1] for u in eu.list_queues()["QueueUrls"]] == ["eu-only", "orders"]
us.send_message(QueueUrl=qus, MessageBody="for us-east-1")
assert "Messages" not in eu.receive_message(QueueUrl=qeu, WaitTimeSeconds=1)
assert us.receive_message(QueueUrl=qus, WaitTimeSeconds=1)["Messages"][0]["Body"] == "for us-east-1"
try:
    client("ap-south-1").list_queues()
    raise SystemExit("an unserved region was accepted")
except botocore.exceptions.ClientError as e:
    err = e.response["Error"]
    assert err["Code"] == "SignatureDoesNotMatch", e.response
    assert err["Message"].strip() == "Credential should be scoped to a valid region, not 'ap-south-1'.", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403, e.response
print("ok", botocore.__version__)
`
	out, errOut, err := runTool(t, append(clientEnv(t, p), "ACCOUNT="+p.AccountID), "", python, "-c", script)
	if err != nil || !strings.HasPrefix(out, "ok") {
		t.Fatalf("boto3: %v\n%s%s", err, out, errOut)
	}
}

func tail(s string) string {
	if len(s) > 3000 {
		return s[len(s)-3000:]
	}
	return s
}

// TestBoto3Errors: SQS's error codes (the legacy codes boto3 reads from
// x-amzn-query-error), HTTP statuses and texts, as boto3 sees them, for a
// missing queue, an invalid receipt handle, an over-long delay in one batch
// entry, empty and repeated batch entries and TagQueue without tags.
func TestBoto3Errors(t *testing.T) {
	python := requireTool(t, "python3")
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	script := `
import os, boto3, botocore
from botocore.config import Config
sqs = boto3.client("sqs", endpoint_url=os.environ["SLUICE_ENDPOINT"],
                   config=Config(retries={"max_attempts": 1}, parameter_validation=False))
def fails(code, status, text, call, **kw):
    try:
        call(**kw)
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        got = (err["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], err["Message"])
        assert got == (code, status, text), (call.__name__, got)
        return
    raise SystemExit("%s succeeded" % call.__name__)
fails("AWS.SimpleQueueService.NonExistentQueue", 400, "The specified queue does not exist.",
      sqs.get_queue_url, QueueName="missing")
q = sqs.create_queue(QueueName="errors")["QueueUrl"]
fails("ReceiptHandleIsInvalid", 404, 'The input receipt handle "nonsense" is not a valid receipt handle.',
      sqs.delete_message, QueueUrl=q, ReceiptHandle="nonsense")
fails("AWS.SimpleQueueService.EmptyBatchRequest", 400,
      "There should be at least one SendMessageBatchRequestEntry in the request.",
      sqs.send_message_batch, QueueUrl=q, Entries=[])
fails("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, "Id a repeated.",
      sqs.send_message_batch, QueueUrl=q, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}])
fails("MissingParameter", 400, "The request must contain the parameter Tags.",
      sqs.tag_queue, QueueUrl=q, Tags={})
r = sqs.send_message_batch(QueueUrl=q, Entries=[{"Id": "late", "MessageBody": "x", "DelaySeconds": 901},
                                                 {"Id": "ok", "MessageBody": "y"}])
assert [s["Id"] for s in r["Successful"]] == ["ok"], r
f = r["Failed"][0]
assert (f["Id"], f["Code"], f["SenderFault"], f["Message"]) == ("late", "InvalidParameterValue", True,
    "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900."), f
print("ok", botocore.__version__)
`
	out, errOut, err := runTool(t, clientEnv(t, p), "", python, "-c", script)
	if err != nil || !strings.HasPrefix(out, "ok") {
		t.Fatalf("boto3: %v\n%s%s", err, out, errOut)
	}
}
