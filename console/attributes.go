package console

// attributeSpec describes a settable queue attribute for the forms: its
// SQS range and what it does. The console checks nothing itself: the
// values go to the API, which answers SQS's errors.
type attributeSpec struct {
	Name    string
	Label   string
	Help    string
	Kind    string // number, bool, choice
	Min     string // number: SQS's range
	Max     string
	Default string
	Choices []string
	FIFO    bool // FIFO queues only
}

// attributeSpecs are the attributes the create and edit forms offer; the
// redrive policies have forms of their own, and Policy (a JSON document
// accepted for compatibility, not enforced) is shown read-only.
var attributeSpecs = []attributeSpec{
	{Name: "VisibilityTimeout", Label: "Visibility timeout (seconds)", Kind: "number", Min: "0", Max: "43200", Default: "30",
		Help: "How long a received message stays hidden from other consumers before it can be received again. 0 to 43,200 (12 hours)."},
	{Name: "DelaySeconds", Label: "Delivery delay (seconds)", Kind: "number", Min: "0", Max: "900", Default: "0",
		Help: "How long each new message stays invisible after it is sent. 0 to 900 (15 minutes)."},
	{Name: "ReceiveMessageWaitTimeSeconds", Label: "Receive wait time (seconds)", Kind: "number", Min: "0", Max: "20", Default: "0",
		Help: "How long a ReceiveMessage call waits for a message by default (long polling). 0 to 20."},
	{Name: "MessageRetentionPeriod", Label: "Message retention period (seconds)", Kind: "number", Min: "60", Max: "1209600", Default: "345600",
		Help: "How long a message is kept before it is deleted. 60 (1 minute) to 1,209,600 (14 days); default 4 days."},
	{Name: "MaximumMessageSize", Label: "Maximum message size (bytes)", Kind: "number", Min: "1024", Max: "1048576", Default: "1048576",
		Help: "The largest message (body plus attributes) the queue accepts. 1,024 bytes to 1,048,576 (1 MiB)."},
	{Name: "SqsManagedSseEnabled", Label: "Server-side encryption (SQS-managed)", Kind: "bool", Default: "false",
		Help: "Accepted for compatibility with SQS."},
	{Name: "KmsDataKeyReusePeriodSeconds", Label: "KMS data key reuse period (seconds)", Kind: "number", Min: "60", Max: "86400", Default: "300",
		Help: "Accepted for compatibility with SQS. 60 to 86,400 (24 hours)."},
	{Name: "ContentBasedDeduplication", Label: "Content-based deduplication", Kind: "bool", Default: "false", FIFO: true,
		Help: "Use a SHA-256 hash of the body as the deduplication id of messages sent without one."},
	{Name: "DeduplicationScope", Label: "Deduplication scope", Kind: "choice", Choices: []string{"queue", "messageGroup"}, Default: "queue", FIFO: true,
		Help: "Whether duplicates are detected across the queue or within each message group (high throughput needs messageGroup)."},
	{Name: "FifoThroughputLimit", Label: "FIFO throughput limit", Kind: "choice", Choices: []string{"perQueue", "perMessageGroupId"}, Default: "perQueue", FIFO: true,
		Help: "Whether the throughput quota applies to the whole queue or to each message group (high throughput needs perMessageGroupId)."},
}

// specsFor returns the attributes a queue of that type has.
func specsFor(fifo bool) []attributeSpec {
	var out []attributeSpec
	for _, s := range attributeSpecs {
		if !s.FIFO || fifo {
			out = append(out, s)
		}
	}
	return out
}
