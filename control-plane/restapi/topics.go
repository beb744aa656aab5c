package restapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/data-plane/topics"
	"github.com/sluice-mq/sluice/sdk/api"
)

// Topics are managed through the same catalog calls the SNS API makes,
// so attributes, limits and errors are SNS's; the error code in a reply
// is SNS's code. Topics live in the control plane's region.

// WithTopics serves the topic routes over c; without it they answer 503.
func (a *API) WithTopics(c *topics.Catalog) *API {
	a.topics = c
	return a
}

// needsTopics answers 503 on a node without a topic catalog.
func (a *API) needsTopics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if a.topics == nil {
			return fail(c, http.StatusServiceUnavailable, "TopicsUnavailable", "Topics are not configured on this node.")
		}
		return next(c)
	}
}

func (a *API) registerTopics(v1 *echo.Group) {
	v1.POST("/tenants/:account/topics", a.createTopic, sameTenant, a.needsTopics, a.admit("CreateTopic"))
	v1.GET("/tenants/:account/topics", a.listTopics, sameTenant, a.needsTopics, a.admit("ListTopics"))
	v1.GET("/tenants/:account/topics/:topic", a.getTopic, sameTenant, a.needsTopics, a.admit("GetTopicAttributes"))
	v1.PATCH("/tenants/:account/topics/:topic", a.updateTopic, sameTenant, a.needsTopics, a.admit("SetTopicAttributes"))
	v1.DELETE("/tenants/:account/topics/:topic", a.deleteTopic, sameTenant, a.needsTopics, a.admit("DeleteTopic"))
	v1.POST("/tenants/:account/topics/:topic/subscriptions", a.createSubscription, sameTenant, a.needsTopics, a.admit("Subscribe"))
	v1.GET("/tenants/:account/topics/:topic/subscriptions", a.listSubscriptions, sameTenant, a.needsTopics, a.admit("ListSubscriptionsByTopic"))
	v1.GET("/tenants/:account/topics/:topic/subscriptions/:subscription", a.getSubscription, sameTenant, a.needsTopics, a.admit("GetSubscriptionAttributes"))
	v1.PATCH("/tenants/:account/topics/:topic/subscriptions/:subscription", a.updateSubscription, sameTenant, a.needsTopics, a.admit("SetSubscriptionAttributes"))
	v1.DELETE("/tenants/:account/topics/:topic/subscriptions/:subscription", a.deleteSubscription, sameTenant, a.needsTopics, a.admit("Unsubscribe"))
}

func (a *API) topicError(c echo.Context, err error) error {
	var ee *sqserr.Error
	if !errors.As(err, &ee) {
		return a.catalogError(c, err)
	}
	status := http.StatusBadRequest
	switch ee.Code {
	case topics.CodeNotFound, topics.CodeResourceNotFound:
		status = http.StatusNotFound
	case topics.CodeTopicLimitExceeded, topics.CodeSubscriptionLimitExceeded, topics.CodeAuthorizationError:
		status = http.StatusForbidden
	case admission.CodeThrottled:
		status = http.StatusTooManyRequests
	}
	return fail(c, status, ee.Code, ee.Message)
}

func errNoTopic() error { return sqserr.Errorf(topics.CodeNotFound, "Topic does not exist") }

// topicRef is the path account's topic named by the path; a name no topic
// can have is NotFound.
func (a *API) topicRef(c echo.Context, name string) (topics.Ref, error) {
	ref := topics.Ref{Account: c.Param("account"), Region: a.region, Name: name}
	if !topics.ValidName(name) {
		return ref, errNoTopic()
	}
	return ref, nil
}

// subRef is the path's subscription; an id no subscription can have is
// NotFound.
func (a *API) subRef(c echo.Context) (topics.SubRef, error) {
	t, err := a.topicRef(c, c.Param("topic"))
	if err != nil {
		return topics.SubRef{}, err
	}
	ref, err := topics.ParseSubscriptionARN(t.ARN() + ":" + c.Param("subscription"))
	if err != nil {
		return topics.SubRef{}, sqserr.Errorf(topics.CodeNotFound, "Subscription does not exist")
	}
	return ref, nil
}

func (a *API) topicReply(c echo.Context, ref topics.Ref) (api.Topic, error) {
	ctx := c.Request().Context()
	attrs, err := a.topics.TopicAttributes(ctx, ref)
	if err != nil {
		return api.Topic{}, err
	}
	tags, err := a.topics.Tags(ctx, ref)
	if err != nil {
		return api.Topic{}, err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return api.Topic{Name: ref.Name, ARN: ref.ARN(), Attributes: attrs, Tags: tags}, nil
}

func (a *API) createTopic(c echo.Context) error {
	var in api.CreateTopicRequest
	if err := bind(c, &in); err != nil || in.Name == "" {
		return badRequest(c, "The body must be a JSON object with name and optional attributes and tags.")
	}
	ctx := c.Request().Context()
	t, err := a.catalog.GetTenant(ctx, c.Param("account"))
	if err != nil {
		return a.catalogError(c, err)
	}
	limit := t.Quotas().MaxQueues
	ref := topics.Ref{Account: t.AccountID, Region: a.region, Name: in.Name}
	_, err = a.topics.Create(ctx, ref, in.Attributes, in.Tags, func(n int64) error {
		if limit > 0 && n >= int64(limit) {
			return sqserr.Errorf(topics.CodeTopicLimitExceeded, "Topic limit exceeded: the account has reached its quota of %d topics.", limit)
		}
		return nil
	})
	if err != nil {
		return a.topicError(c, err)
	}
	out, err := a.topicReply(c, ref)
	if err != nil {
		return a.topicError(c, err)
	}
	return c.JSON(http.StatusCreated, out)
}

func (a *API) listTopics(c echo.Context) error {
	after := c.QueryParam("next")
	if after != "" && !topics.ValidName(after) {
		return badRequest(c, "next must be the next of an earlier page.")
	}
	refs, next, err := a.topics.List(c.Request().Context(), c.Param("account"), a.region, after)
	if err != nil {
		return a.topicError(c, err)
	}
	out := api.TopicList{Topics: make([]string, 0, len(refs)), Next: next}
	for _, r := range refs {
		out.Topics = append(out.Topics, r.Name)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) getTopic(c echo.Context) error {
	ref, err := a.topicRef(c, c.Param("topic"))
	if err != nil {
		return a.topicError(c, err)
	}
	out, err := a.topicReply(c, ref)
	if err != nil {
		return a.topicError(c, err)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) updateTopic(c echo.Context) error {
	var in api.UpdateTopicRequest
	if err := bind(c, &in); err != nil || (len(in.Attributes) == 0 && len(in.Tags) == 0 && len(in.RemoveTags) == 0) {
		return badRequest(c, "The body must set attributes, tags or removeTags.")
	}
	ref, err := a.topicRef(c, c.Param("topic"))
	if err == nil {
		err = a.topics.Update(c.Request().Context(), ref, topics.Change{Attributes: in.Attributes, Tags: in.Tags, RemoveTags: in.RemoveTags})
	}
	if err != nil {
		return a.topicError(c, err)
	}
	return a.getTopic(c)
}

func (a *API) deleteTopic(c echo.Context) error {
	ref, err := a.topicRef(c, c.Param("topic"))
	if err == nil {
		// As the route promises a 404 for a missing topic, look first
		// (SNS's DeleteTopic succeeds on one).
		if _, err = a.topics.Get(c.Request().Context(), ref); err == nil {
			err = a.topics.Delete(c.Request().Context(), ref)
		}
	}
	if err != nil {
		return a.topicError(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *API) subscriptionReply(c echo.Context, ref topics.SubRef) (api.Subscription, error) {
	attrs, err := a.topics.SubscriptionAttributes(c.Request().Context(), ref)
	if err != nil {
		return api.Subscription{}, err
	}
	return api.Subscription{ID: ref.ID, ARN: ref.ARN(), Topic: ref.Topic.Name,
		Protocol: attrs["Protocol"], Endpoint: attrs["Endpoint"], Attributes: attrs}, nil
}

func (a *API) createSubscription(c echo.Context) error {
	var in api.CreateSubscriptionRequest
	if err := bind(c, &in); err != nil || in.Protocol == "" || in.Endpoint == "" {
		return badRequest(c, "The body must be a JSON object with protocol, endpoint and optional attributes.")
	}
	ref, err := a.topicRef(c, c.Param("topic"))
	if err != nil {
		return a.topicError(c, err)
	}
	endpoint := in.Endpoint
	if in.Protocol == "sqs" && !strings.HasPrefix(endpoint, "arn:") {
		// A queue name stands for the tenant's queue in this region.
		endpoint = queues.Ref{Account: ref.Account, Region: a.region, Name: endpoint}.ARN()
	}
	s, err := a.topics.Subscribe(c.Request().Context(), ref, in.Protocol, endpoint, in.Attributes)
	if err != nil {
		return a.topicError(c, err)
	}
	out, err := a.subscriptionReply(c, s.Ref)
	if err != nil {
		return a.topicError(c, err)
	}
	return c.JSON(http.StatusCreated, out)
}

func (a *API) listSubscriptions(c echo.Context) error {
	ref, err := a.topicRef(c, c.Param("topic"))
	if err != nil {
		return a.topicError(c, err)
	}
	after := ""
	if id := c.QueryParam("next"); id != "" {
		after = ref.ARN() + ":" + id
		if _, err := topics.ParseSubscriptionARN(after); err != nil {
			return badRequest(c, "next must be the next of an earlier page.")
		}
	}
	subs, next, err := a.topics.ListSubscriptions(c.Request().Context(), ref.Account, ref.Region, &ref, after)
	if err != nil {
		return a.topicError(c, err)
	}
	out := api.SubscriptionList{Subscriptions: make([]api.Subscription, 0, len(subs))}
	if next != "" {
		out.Next = next[strings.LastIndexByte(next, ':')+1:]
	}
	for _, s := range subs {
		attrs, err := a.topics.SubscriptionAttributes(c.Request().Context(), s.Ref)
		if err != nil {
			return a.topicError(c, err)
		}
		out.Subscriptions = append(out.Subscriptions, api.Subscription{ID: s.Ref.ID, ARN: s.Ref.ARN(), Topic: ref.Name,
			Protocol: s.Protocol, Endpoint: s.Endpoint, Attributes: attrs})
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) getSubscription(c echo.Context) error {
	ref, err := a.subRef(c)
	if err != nil {
		return a.topicError(c, err)
	}
	out, err := a.subscriptionReply(c, ref)
	if err != nil {
		return a.topicError(c, err)
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) updateSubscription(c echo.Context) error {
	var in api.UpdateSubscriptionRequest
	if err := bind(c, &in); err != nil || len(in.Attributes) == 0 {
		return badRequest(c, "The body must set attributes.")
	}
	ref, err := a.subRef(c)
	if err == nil {
		err = a.topics.UpdateSubscription(c.Request().Context(), ref, in.Attributes)
	}
	if err != nil {
		return a.topicError(c, err)
	}
	return a.getSubscription(c)
}

func (a *API) deleteSubscription(c echo.Context) error {
	ref, err := a.subRef(c)
	if err == nil {
		err = a.topics.Unsubscribe(c.Request().Context(), ref)
	}
	if err != nil {
		return a.topicError(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}
