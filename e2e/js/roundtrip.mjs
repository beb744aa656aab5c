// A send/receive/delete round trip with message attributes through the AWS
// SDK for JavaScript v3, which checks the MD5 digests of body and
// attributes itself. The e2e Go test runs it against `sluice dev` with
// SLUICE_ENDPOINT and the AWS_* credentials set.
import {
  SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand,
  DeleteMessageCommand, GetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";

const client = new SQSClient({ endpoint: process.env.SLUICE_ENDPOINT, maxAttempts: 1 });

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: "js-roundtrip" }));
const body = "hello from JavaScript \u00e9\u4e16";
const sent = await client.send(new SendMessageCommand({
  QueueUrl,
  MessageBody: body,
  MessageAttributes: {
    color: { DataType: "String", StringValue: "green" },
    size: { DataType: "Number", StringValue: "3.5" },
    raw: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 254, 255]) },
  },
}));
check(sent.MessageId && sent.MD5OfMessageAttributes, "send answered with id and attribute digest");

const got = await client.send(new ReceiveMessageCommand({
  QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2,
  MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"],
}));
check(got.Messages?.length === 1, `one message received, got ${got.Messages?.length}`);
const m = got.Messages[0];
check(m.MessageId === sent.MessageId, "same message id");
check(m.Body === body, "same body");
check(m.MessageAttributes.color.StringValue === "green", "string attribute");
check(m.MessageAttributes.size.StringValue === "3.5", "number attribute");
check(Buffer.from(m.MessageAttributes.raw.BinaryValue).equals(Buffer.from([0, 1, 254, 255])), "binary attribute");
check(m.Attributes.ApproximateReceiveCount === "1", "receive count");

await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
const attrs = await client.send(new GetQueueAttributesCommand({
  QueueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
}));
check(attrs.Attributes.ApproximateNumberOfMessages === "0", "queue empty after delete");
check(attrs.Attributes.ApproximateNumberOfMessagesNotVisible === "0", "nothing in flight after delete");

let missing = "";
try {
  await client.send(new GetQueueAttributesCommand({ QueueUrl: QueueUrl + "-nope", AttributeNames: ["All"] }));
} catch (err) {
  missing = err.name;
}
check(missing === "QueueDoesNotExist", `missing queue error, got ${missing}`);

console.log(JSON.stringify({ ok: true, messageId: m.MessageId }));
