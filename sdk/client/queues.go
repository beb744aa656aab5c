package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sluice-mq/sluice/sdk/api"
)

// Queue calls act as the SQS actions do, and their errors carry SQS's
// codes (QueueDoesNotExist: 404, QueueAlreadyExists and
// QueueDeletedRecently: 409, the tenant's admin rate: 429).

// CreateQueue creates a queue, as SQS CreateQueue: creating one that
// exists with the same attributes succeeds.
func (c *Client) CreateQueue(ctx context.Context, account string, req api.CreateQueueRequest) (api.Queue, error) {
	return callFor[api.Queue](ctx, c, call{method: http.MethodPost, path: api.PathQueues, body: req}, account)
}

// ListQueuesPage reads one page of the tenant's queue names starting with
// prefix: limit of them (0: the server's default, 1000) from token next
// ("" for the first page). The reply's Next, when set, is the next page's.
func (c *Client) ListQueuesPage(ctx context.Context, account, prefix string, limit int, next string) (api.QueueList, error) {
	q := url.Values{}
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if next != "" {
		q.Set("next", next)
	}
	return callFor[api.QueueList](ctx, c, call{method: http.MethodGet, path: api.PathQueues, query: q}, account)
}

// ListQueues yields the names of the tenant's queues starting with prefix,
// a page of pageSize (0: the server's default) at a time. A failed page
// yields its error and ends the sequence.
func (c *Client) ListQueues(ctx context.Context, account, prefix string, pageSize int) iter.Seq2[string, error] {
	return pages(func(next string) ([]string, string, error) {
		l, err := c.ListQueuesPage(ctx, account, prefix, pageSize, next)
		return l.Queues, l.Next, err
	})
}

// GetQueue reads a queue's attributes, tags, tiering settings and storage.
func (c *Client) GetQueue(ctx context.Context, account, name string) (api.Queue, error) {
	return callFor[api.Queue](ctx, c, call{method: http.MethodGet, path: api.PathQueue}, account, name)
}

// UpdateQueue sets attributes, adds or removes tags and changes tiering
// settings; req must set at least one.
func (c *Client) UpdateQueue(ctx context.Context, account, name string, req api.UpdateQueueRequest) (api.Queue, error) {
	return callFor[api.Queue](ctx, c, call{method: http.MethodPatch, path: api.PathQueue, body: req}, account, name)
}

// DeleteQueue deletes a queue, as SQS DeleteQueue.
func (c *Client) DeleteQueue(ctx context.Context, account, name string) error {
	return callNoReply(ctx, c, call{method: http.MethodDelete, path: api.PathQueue}, account, name)
}
