package sqsapi

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/sluice-mq/sluice/data-plane/queues"
)

// actionFunc runs one action: it decodes its request shape from c and
// returns the response shape (nil for actions without output).
type actionFunc func(ctx context.Context, c *call) (any, error)

// actions lists every SQS action by name.
var actions = map[string]actionFunc{
	"CreateQueue":                  createQueue,
	"GetQueueUrl":                  getQueueURL,
	"ListQueues":                   listQueues,
	"DeleteQueue":                  deleteQueue,
	"GetQueueAttributes":           getQueueAttributes,
	"SetQueueAttributes":           setQueueAttributes,
	"PurgeQueue":                   purgeQueue,
	"ListDeadLetterSourceQueues":   listDeadLetterSourceQueues,
	"TagQueue":                     tagQueue,
	"UntagQueue":                   untagQueue,
	"ListQueueTags":                listQueueTags,
	"AddPermission":                addPermission,
	"RemovePermission":             removePermission,
	"SendMessage":                  sendMessage,
	"SendMessageBatch":             sendMessageBatch,
	"ReceiveMessage":               receiveMessage,
	"DeleteMessage":                deleteMessage,
	"DeleteMessageBatch":           deleteMessageBatch,
	"ChangeMessageVisibility":      changeMessageVisibility,
	"ChangeMessageVisibilityBatch": changeMessageVisibilityBatch,
	"StartMessageMoveTask":         startMessageMoveTask,
	"ListMessageMoveTasks":         listMessageMoveTasks,
	"CancelMessageMoveTask":        cancelMessageMoveTask,
	// Sluice's own (transactions.go).
	"SendHalfMessage": sendHalfMessage,
	"EndTransaction":  endTransaction,
}

// queueRef resolves a QueueUrl to the caller's queue. Only the path
// /{account}/{name} counts, whatever host the client put in the URL; an
// empty QueueUrl falls back to the request path, where old Query clients
// put it. A bare queue name (no scheme, no slash), which SQS also takes,
// is the caller's queue of that name in the request's region. Another
// account's queue is answered as missing, so a tenant cannot learn
// whether it exists.
func (c *call) queueRef(queueURL string) (queues.Ref, error) {
	if queueURL != "" && !strings.Contains(queueURL, "/") && queues.ValidName(queueURL) {
		return c.ref(queueURL), nil
	}
	path := queueURL
	if queueURL == "" {
		path = c.r.URL.Path
		if strings.Trim(path, "/") == "" {
			return queues.Ref{}, errMissingParameter("QueueUrl")
		}
	} else if u, err := url.Parse(queueURL); err == nil {
		path = u.Path
	}
	account, name, ok := strings.Cut(strings.Trim(path, "/"), "/")
	if !ok || account == "" || name == "" || strings.Contains(name, "/") {
		return queues.Ref{}, NewError("InvalidAddress", "The address %s is not valid for this endpoint.", queueURL)
	}
	if account != c.principal.AccountID {
		return queues.Ref{}, errQueueDoesNotExist()
	}
	return c.ref(name), nil
}

// ref is the caller's queue of that name; the call is metered on it.
func (c *call) ref(name string) queues.Ref {
	ref := queues.Ref{Account: c.principal.AccountID, Region: c.principal.Region, Name: name}
	c.admitted.Queue(ref)
	c.queue = ref
	return ref
}

// queueURL builds a queue's URL on the host the client called.
func (c *call) queueURL(name string) string {
	scheme := "http"
	if c.r.TLS != nil || c.r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host + "/" + c.principal.AccountID + "/" + name
}

func (c *call) queueURLs(names []string) []string {
	urls := make([]string, len(names))
	for i, n := range names {
		urls[i] = c.queueURL(n)
	}
	return urls
}

// decodeQueue decodes in and resolves its QueueUrl.
func decodeQueue[T any](c *call, queueURL func(*T) string) (*T, queues.Ref, error) {
	in := new(T)
	if err := c.decode(in); err != nil {
		return nil, queues.Ref{}, err
	}
	ref, err := c.queueRef(queueURL(in))
	return in, ref, err
}

func createQueue(ctx context.Context, c *call) (any, error) {
	var in createQueueInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissingParameter("QueueName")
	}
	newQueue := queues.NewQueue{Attributes: in.Attributes, Tags: in.Tags, Admit: c.admitted.AdmitQueue}
	if _, err := c.h.catalog.CreateWith(ctx, c.ref(in.QueueName), newQueue); err != nil {
		return nil, err
	}
	return queueURLOutput{QueueUrl: c.queueURL(in.QueueName)}, nil
}

func getQueueURL(ctx context.Context, c *call) (any, error) {
	var in getQueueURLInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissingParameter("QueueName")
	}
	if in.QueueOwnerAWSAccountId != "" && in.QueueOwnerAWSAccountId != c.principal.AccountID {
		return nil, errQueueDoesNotExist()
	}
	if _, err := c.h.catalog.Get(ctx, c.ref(in.QueueName)); err != nil {
		return nil, err
	}
	return queueURLOutput{QueueUrl: c.queueURL(in.QueueName)}, nil
}

func listQueues(ctx context.Context, c *call) (any, error) {
	var in listQueuesInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkMaxResults(in.MaxResults, 1000); err != nil {
		return nil, err
	}
	names, next, err := c.h.catalog.List(ctx, c.principal.AccountID, c.principal.Region, in.QueueNamePrefix, deref(in.MaxResults), in.NextToken)
	if err != nil {
		return nil, err
	}
	return listQueuesOutput{QueueUrls: c.queueURLs(names), NextToken: next}, nil
}

func deleteQueue(ctx context.Context, c *call) (any, error) {
	_, ref, err := decodeQueue(c, func(in *queueURLInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	return nil, c.h.engine.DeleteQueue(ctx, ref)
}

func purgeQueue(ctx context.Context, c *call) (any, error) {
	_, ref, err := decodeQueue(c, func(in *queueURLInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	return nil, c.h.engine.PurgeQueue(ctx, ref)
}

func getQueueAttributes(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *getQueueAttributesInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	attrs, err := c.h.engine.GetQueueAttributes(ctx, ref, in.AttributeNames)
	if err != nil {
		return nil, err
	}
	return attributesOutput{Attributes: attrs}, nil
}

func setQueueAttributes(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *setQueueAttributesInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	return nil, c.h.catalog.SetAttributes(ctx, ref, in.Attributes)
}

func listDeadLetterSourceQueues(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *listDeadLetterSourceQueuesInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	if err := checkMaxResults(in.MaxResults, 1000); err != nil {
		return nil, err
	}
	names, next, err := c.h.catalog.ListDeadLetterSources(ctx, ref, deref(in.MaxResults), in.NextToken)
	if err != nil {
		return nil, err
	}
	return listDeadLetterSourceQueuesOutput{QueueUrls: c.queueURLs(names), NextToken: next}, nil
}

func tagQueue(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *tagQueueInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	return nil, c.h.catalog.Tag(ctx, ref, in.Tags)
}

func untagQueue(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *untagQueueInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	return nil, c.h.catalog.Untag(ctx, ref, in.TagKeys)
}

func listQueueTags(ctx context.Context, c *call) (any, error) {
	_, ref, err := decodeQueue(c, func(in *queueURLInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	tags, err := c.h.catalog.ListTags(ctx, ref)
	if err != nil {
		return nil, err
	}
	return tagsOutput{Tags: tags}, nil
}

func addPermission(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *addPermissionInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	return nil, c.h.catalog.AddPermission(ctx, ref, in.Label, in.AWSAccountIds, in.Actions)
}

func removePermission(ctx context.Context, c *call) (any, error) {
	in, ref, err := decodeQueue(c, func(in *removePermissionInput) string { return in.QueueUrl })
	if err != nil {
		return nil, err
	}
	return nil, c.h.catalog.RemovePermission(ctx, ref, in.Label)
}

// checkMaxResults refuses an explicit MaxResults outside 1–limit; the
// engine reads 0 as "not given".
func checkMaxResults(v *int, limit int) error {
	if v != nil && (*v < 1 || *v > limit) {
		return errInvalidParameter("MaxResults", strconv.Itoa(*v), fmt.Sprintf("Must be between 1 and %d, if provided.", limit))
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
