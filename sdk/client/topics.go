package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"

	"github.com/sluice-mq/sluice/sdk/api"
)

// Topic calls act as the SNS actions do, and their errors carry SNS's
// codes (NotFound: 404, InvalidParameter: 400, TopicLimitExceeded,
// SubscriptionLimitExceeded and AuthorizationError: 403, the tenant's
// admin rate: 429).

// CreateTopic creates a topic, as SNS CreateTopic: creating one that
// exists with the same attributes succeeds.
func (c *Client) CreateTopic(ctx context.Context, account string, req api.CreateTopicRequest) (api.Topic, error) {
	return callFor[api.Topic](ctx, c, call{method: http.MethodPost, path: api.PathTopics, body: req}, account)
}

// ListTopicsPage reads one page of the tenant's topic names (100) from
// token next ("" for the first page). The reply's Next, when set, is the
// next page's.
func (c *Client) ListTopicsPage(ctx context.Context, account, next string) (api.TopicList, error) {
	q := url.Values{}
	if next != "" {
		q.Set("next", next)
	}
	return callFor[api.TopicList](ctx, c, call{method: http.MethodGet, path: api.PathTopics, query: q}, account)
}

// ListTopics yields the names of the tenant's topics. A failed page yields
// its error and ends the sequence.
func (c *Client) ListTopics(ctx context.Context, account string) iter.Seq2[string, error] {
	return pages(func(next string) ([]string, string, error) {
		l, err := c.ListTopicsPage(ctx, account, next)
		return l.Topics, l.Next, err
	})
}

// GetTopic reads a topic's attributes and tags.
func (c *Client) GetTopic(ctx context.Context, account, name string) (api.Topic, error) {
	return callFor[api.Topic](ctx, c, call{method: http.MethodGet, path: api.PathTopic}, account, name)
}

// UpdateTopic sets attributes and adds or removes tags, all at once; req
// must set at least one.
func (c *Client) UpdateTopic(ctx context.Context, account, name string, req api.UpdateTopicRequest) (api.Topic, error) {
	return callFor[api.Topic](ctx, c, call{method: http.MethodPatch, path: api.PathTopic, body: req}, account, name)
}

// DeleteTopic deletes a topic and its subscriptions.
func (c *Client) DeleteTopic(ctx context.Context, account, name string) error {
	return callNoReply(ctx, c, call{method: http.MethodDelete, path: api.PathTopic}, account, name)
}

// Subscribe subscribes an endpoint to a topic, as SNS Subscribe.
func (c *Client) Subscribe(ctx context.Context, account, topic string, req api.CreateSubscriptionRequest) (api.Subscription, error) {
	return callFor[api.Subscription](ctx, c, call{method: http.MethodPost, path: api.PathSubscriptions, body: req}, account, topic)
}

// ListSubscriptionsPage reads one page of a topic's subscriptions (100)
// from token next ("" for the first page).
func (c *Client) ListSubscriptionsPage(ctx context.Context, account, topic, next string) (api.SubscriptionList, error) {
	q := url.Values{}
	if next != "" {
		q.Set("next", next)
	}
	return callFor[api.SubscriptionList](ctx, c, call{method: http.MethodGet, path: api.PathSubscriptions, query: q}, account, topic)
}

// ListSubscriptions yields a topic's subscriptions. A failed page yields
// its error and ends the sequence.
func (c *Client) ListSubscriptions(ctx context.Context, account, topic string) iter.Seq2[api.Subscription, error] {
	return pages(func(next string) ([]api.Subscription, string, error) {
		l, err := c.ListSubscriptionsPage(ctx, account, topic, next)
		return l.Subscriptions, l.Next, err
	})
}

// GetSubscription reads a subscription's attributes; id is the last part
// of its ARN.
func (c *Client) GetSubscription(ctx context.Context, account, topic, id string) (api.Subscription, error) {
	return callFor[api.Subscription](ctx, c, call{method: http.MethodGet, path: api.PathSubscription}, account, topic, id)
}

// UpdateSubscription sets subscription attributes, all at once.
func (c *Client) UpdateSubscription(ctx context.Context, account, topic, id string, req api.UpdateSubscriptionRequest) (api.Subscription, error) {
	return callFor[api.Subscription](ctx, c, call{method: http.MethodPatch, path: api.PathSubscription, body: req}, account, topic, id)
}

// Unsubscribe deletes a subscription.
func (c *Client) Unsubscribe(ctx context.Context, account, topic, id string) error {
	return callNoReply(ctx, c, call{method: http.MethodDelete, path: api.PathSubscription}, account, topic, id)
}
