package api

// Queue routes act as the SQS actions do: same attributes, defaults,
// limits and error codes.

// Queue is a queue's attributes, tags, tiering settings and storage.
type Queue struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
	// Attributes are all of the queue's SQS attributes, as
	// GetQueueAttributes with All answers them.
	Attributes map[string]string `json:"attributes"`
	Tags       map[string]string `json:"tags"`
	Tiering    TieringSettings   `json:"tiering"`
	Storage    QueueStorage      `json:"storage"`
}

// QueueStorage is what a queue stores, as every node flushed it (about a
// second old). Bytes count bodies plus attributes, as SQS counts a
// message's size.
type QueueStorage struct {
	Messages  int64 `json:"messages"`
	HotBytes  int64 `json:"hotBytes"`
	ColdBytes int64 `json:"coldBytes"`
	Segments  int64 `json:"segments"` // cold-tier segments holding bodies
}

// TieringSettings say when a message's body moves to the cold tier (a
// segment on the blob store): once it is older than the hot window, or
// sooner, oldest first, while the queue's hot bytes exceed the budget.
type TieringSettings struct {
	HotWindowSeconds int64 `json:"hotWindowSeconds"`
	HotBytesBudget   int64 `json:"hotBytesBudget"`
}

// Tiering defaults, the settings of a queue created without any.
const (
	DefaultHotWindowSeconds = 300
	DefaultHotBytesBudget   = 64 << 20
)

// TieringPatch changes the tiering settings it names and leaves the others.
type TieringPatch struct {
	HotWindowSeconds *int64 `json:"hotWindowSeconds,omitempty"`
	HotBytesBudget   *int64 `json:"hotBytesBudget,omitempty"`
}

// CreateQueueRequest is the body of POST /v1/tenants/{account}/queues, as
// SQS CreateQueue: creating a queue that exists with the same attributes
// succeeds.
type CreateQueueRequest struct {
	Name       string            `json:"name"`
	Attributes map[string]string `json:"attributes,omitempty"` // e.g. VisibilityTimeout
	Tags       map[string]string `json:"tags,omitempty"`
	// Tiering changes the default tiering settings.
	Tiering *TieringPatch `json:"tiering,omitempty"`
}

// UpdateQueueRequest is the body of PATCH
// /v1/tenants/{account}/queues/{queue}; it must set at least one field.
type UpdateQueueRequest struct {
	// Attributes are set as SetQueueAttributes sets them.
	Attributes map[string]string `json:"attributes,omitempty"`
	// Tags are added or replaced.
	Tags map[string]string `json:"tags,omitempty"`
	// RemoveTags are the keys of tags to remove.
	RemoveTags []string      `json:"removeTags,omitempty"`
	Tiering    *TieringPatch `json:"tiering,omitempty"`
}

// QueueList is a page of a tenant's queue names.
type QueueList struct {
	Queues []string `json:"queues"`
	// Next, when set, is the next parameter that asks for the next page.
	Next string `json:"next,omitempty"`
}
