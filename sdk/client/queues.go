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
	var q api.Queue
	p, err := path(api.PathQueues, account)
	if err != nil {
		return q, err
	}
	err = c.do(ctx, call{method: http.MethodPost, path: p, body: req}, &q)
	return q, err
}

// ListQueuesPage reads one page of the tenant's queue names starting with
// prefix: limit of them (0: the server's default, 1000) from token next
// ("" for the first page). The reply's Next, when set, is the next page's.
func (c *Client) ListQueuesPage(ctx context.Context, account, prefix string, limit int, next string) (api.QueueList, error) {
	var l api.QueueList
	p, err := path(api.PathQueues, account)
	if err != nil {
		return l, err
	}
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
	err = c.do(ctx, call{method: http.MethodGet, path: p, query: q}, &l)
	return l, err
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
	return c.queueCall(ctx, http.MethodGet, account, name, nil)
}

// UpdateQueue sets attributes, adds or removes tags and changes tiering
// settings; req must set at least one.
func (c *Client) UpdateQueue(ctx context.Context, account, name string, req api.UpdateQueueRequest) (api.Queue, error) {
	return c.queueCall(ctx, http.MethodPatch, account, name, req)
}

// DeleteQueue deletes a queue, as SQS DeleteQueue.
func (c *Client) DeleteQueue(ctx context.Context, account, name string) error {
	p, err := path(api.PathQueue, account, name)
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodDelete, path: p}, nil)
}

// queueCall is a call on one queue that answers the queue.
func (c *Client) queueCall(ctx context.Context, method, account, name string, body any) (api.Queue, error) {
	var q api.Queue
	p, err := path(api.PathQueue, account, name)
	if err != nil {
		return q, err
	}
	err = c.do(ctx, call{method: method, path: p, body: body}, &q)
	return q, err
}
