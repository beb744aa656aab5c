package sqsapi

// Request and response shapes of the SQS API (2012-11-05). Field names are
// the JSON protocol's member names. The `x` tag gives the Query/XML name of
// flattened members: for a list the element name ("QueueUrl"), for a map the
// entry, key and value names ("Attribute,Name,Value").

type queueURLInput struct {
	QueueUrl string
}

type createQueueInput struct {
	QueueName  string
	Attributes map[string]string `x:"Attribute,Name,Value"`
	Tags       map[string]string `json:"tags" x:"Tag,Key,Value"`
}

type queueURLOutput struct {
	QueueUrl string
}

type getQueueURLInput struct {
	QueueName              string
	QueueOwnerAWSAccountId string
}

type listQueuesInput struct {
	QueueNamePrefix string
	NextToken       string
	MaxResults      *int
}

type listQueuesOutput struct {
	QueueUrls []string `json:",omitempty" x:"QueueUrl"`
	NextToken string   `json:",omitempty"`
}

type getQueueAttributesInput struct {
	QueueUrl       string
	AttributeNames []string `x:"AttributeName"`
}

type attributesOutput struct {
	Attributes map[string]string `json:",omitempty" x:"Attribute,Name,Value"`
}

type setQueueAttributesInput struct {
	QueueUrl   string
	Attributes map[string]string `x:"Attribute,Name,Value"`
}

type listDeadLetterSourceQueuesInput struct {
	QueueUrl   string
	NextToken  string
	MaxResults *int
}

type listDeadLetterSourceQueuesOutput struct {
	QueueUrls []string `json:"queueUrls" x:"QueueUrl"`
	NextToken string   `json:",omitempty"`
}

type tagQueueInput struct {
	QueueUrl string
	Tags     map[string]string `x:"Tag,Key,Value"`
}

type untagQueueInput struct {
	QueueUrl string
	TagKeys  []string `x:"TagKey"`
}

type tagsOutput struct {
	Tags map[string]string `json:",omitempty" x:"Tag,Key,Value"`
}

type addPermissionInput struct {
	QueueUrl      string
	Label         string
	AWSAccountIds []string `x:"AWSAccountId"`
	Actions       []string `x:"ActionName"`
}

type removePermissionInput struct {
	QueueUrl string
	Label    string
}

// attributeValue is a message attribute value. List values are reserved by
// SQS ("not implemented") and refused.
type attributeValue struct {
	DataType         string
	StringValue      *string  `json:",omitempty"`
	BinaryValue      []byte   `json:",omitempty"`
	StringListValues []string `json:",omitempty" x:"StringListValue"`
	BinaryListValues [][]byte `json:",omitempty" x:"BinaryListValue"`
}

// messageToSend is one message of SendMessage or SendMessageBatch.
type messageToSend struct {
	MessageBody             *string
	DelaySeconds            *int
	MessageAttributes       map[string]attributeValue `x:"MessageAttribute,Name,Value"`
	MessageSystemAttributes map[string]attributeValue `x:"MessageSystemAttribute,Name,Value"`
	MessageDeduplicationId  *string
	MessageGroupId          *string
}

type sendMessageInput struct {
	QueueUrl string
	messageToSend
}

type sendMessageOutput struct {
	MessageId                    string
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `json:",omitempty"`
	MD5OfMessageSystemAttributes string `json:",omitempty"`
	SequenceNumber               string `json:",omitempty"`
}

type sendMessageBatchEntry struct {
	Id string
	messageToSend
}

type sendMessageBatchInput struct {
	QueueUrl string
	Entries  []sendMessageBatchEntry `x:"SendMessageBatchRequestEntry"`
}

type sendMessageBatchResultEntry struct {
	Id string
	sendMessageOutput
}

type batchResultErrorEntry struct {
	Id          string
	Code        string
	Message     string
	SenderFault bool
}

type sendMessageBatchOutput struct {
	Successful []sendMessageBatchResultEntry `x:"SendMessageBatchResultEntry"`
	Failed     []batchResultErrorEntry       `x:"BatchResultErrorEntry"`
}

type receiveMessageInput struct {
	QueueUrl                    string
	MaxNumberOfMessages         *int
	VisibilityTimeout           *int
	WaitTimeSeconds             *int
	AttributeNames              []string `x:"AttributeName"`
	MessageSystemAttributeNames []string `x:"-"` // shares AttributeName.N in Query
	MessageAttributeNames       []string `x:"MessageAttributeName"`
	ReceiveRequestAttemptId     string
}

type message struct {
	MessageId              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             map[string]string         `json:",omitempty" x:"Attribute,Name,Value"`
	MD5OfMessageAttributes string                    `json:",omitempty"`
	MessageAttributes      map[string]attributeValue `json:",omitempty" x:"MessageAttribute,Name,Value"`
}

type receiveMessageOutput struct {
	Messages []message `json:",omitempty" x:"Message"`
}

type deleteMessageInput struct {
	QueueUrl      string
	ReceiptHandle string
}

type deleteMessageBatchEntry struct {
	Id            string
	ReceiptHandle string
}

type deleteMessageBatchInput struct {
	QueueUrl string
	Entries  []deleteMessageBatchEntry `x:"DeleteMessageBatchRequestEntry"`
}

type idEntry struct {
	Id string
}

type deleteMessageBatchOutput struct {
	Successful []idEntry               `x:"DeleteMessageBatchResultEntry"`
	Failed     []batchResultErrorEntry `x:"BatchResultErrorEntry"`
}

type changeVisibilityInput struct {
	QueueUrl          string
	ReceiptHandle     string
	VisibilityTimeout *int
}

type changeVisibilityBatchEntry struct {
	Id                string
	ReceiptHandle     string
	VisibilityTimeout *int
}

type changeVisibilityBatchInput struct {
	QueueUrl string
	Entries  []changeVisibilityBatchEntry `x:"ChangeMessageVisibilityBatchRequestEntry"`
}

type changeVisibilityBatchOutput struct {
	Successful []idEntry               `x:"ChangeMessageVisibilityBatchResultEntry"`
	Failed     []batchResultErrorEntry `x:"BatchResultErrorEntry"`
}

type startMoveTaskInput struct {
	SourceArn                    string
	DestinationArn               string
	MaxNumberOfMessagesPerSecond *int
}

type startMoveTaskOutput struct {
	TaskHandle string
}

type cancelMoveTaskInput struct {
	TaskHandle string
}

type cancelMoveTaskOutput struct {
	ApproximateNumberOfMessagesMoved int64
}

type listMoveTasksInput struct {
	SourceArn  string
	MaxResults *int
}

type moveTaskEntry struct {
	TaskHandle                        string `json:",omitempty"`
	Status                            string
	SourceArn                         string
	DestinationArn                    string `json:",omitempty"`
	MaxNumberOfMessagesPerSecond      *int   `json:",omitempty"`
	ApproximateNumberOfMessagesMoved  int64
	ApproximateNumberOfMessagesToMove *int64 `json:",omitempty"`
	FailureReason                     string `json:",omitempty"`
	StartedTimestamp                  int64
}

type listMoveTasksOutput struct {
	Results []moveTaskEntry `x:"ListMessageMoveTasksResultEntry"`
}
