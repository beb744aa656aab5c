package snsapi

import (
	"context"
	"net/http"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/data-plane/topics"
)

// subscribeResult is Subscribe's and ConfirmSubscription's reply.
type subscribeResult struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
}

// subscribePush subscribes an http/https endpoint: pending until the
// endpoint confirms, so the reply is "pending confirmation" unless
// ReturnSubscriptionArn is true, as on SNS.
func (c *call) subscribePush(ctx context.Context, ref topics.Ref, protocol string, attrs map[string]string) (any, error) {
	s, err := c.h.topics.SubscribeHTTP(ctx, c.h.eng, ref, protocol, c.param("Endpoint"), attrs, baseURL(c.r))
	if err != nil {
		return nil, err
	}
	if s.Pending() && c.param("ReturnSubscriptionArn") != "true" {
		return subscribeResult{"pending confirmation"}, nil
	}
	return subscribeResult{s.Ref.ARN()}, nil
}

// baseURL is the scheme and host the caller reached Sluice at: the
// SubscribeURL an endpoint is sent points there.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// listedARN is a subscription's ARN in list replies: PendingConfirmation
// while pending, as SNS lists it.
func listedARN(s *topics.Subscription) string {
	if s.Pending() {
		return "PendingConfirmation"
	}
	return s.Ref.ARN()
}

func confirmSubscription(ctx context.Context, c *call) (any, error) {
	ref, err := c.topicRef("TopicArn")
	if err != nil {
		return nil, err
	}
	token, err := c.required("Token")
	if err != nil {
		return nil, err
	}
	s, err := c.h.topics.Confirm(ctx, ref, token, true)
	if err != nil {
		return nil, err
	}
	return subscribeResult{s.Ref.ARN()}, nil
}

// unsigned reports whether a request carries no SigV4 signature at all.
func unsigned(r *http.Request) bool {
	return r.Header.Get("Authorization") == "" && r.URL.Query().Get("X-Amz-Credential") == ""
}

// isSubscribeURL reports whether r is an unsigned GET of a SubscribeURL
// (Action=ConfirmSubscription in the query), which SNS serves without a
// signature: the token is the credential.
func isSubscribeURL(r *http.Request) bool {
	return r.Method == http.MethodGet && unsigned(r) && r.URL.Query().Get("Action") == "ConfirmSubscription"
}

// confirmUnsigned serves an unsigned ConfirmSubscription (a GET of the
// SubscribeURL): the topic's account is the caller's, and only a token
// issued for that topic confirms anything.
func (c *call) confirmUnsigned(ctx context.Context) (any, error) {
	arn, err := c.required("TopicArn")
	if err != nil {
		return nil, err
	}
	ref, err := topics.ParseTopicARN(arn)
	if err != nil {
		return nil, err
	}
	token, err := c.required("Token")
	if err != nil {
		return nil, err
	}
	c.principal = sqsapi.Principal{AccountID: ref.Account, Region: ref.Region}
	if c.admitted, err = c.h.gate.Admit(admission.SQS, admission.Tenant{Account: ref.Account}, c.action); err != nil {
		return nil, err
	}
	s, err := c.h.topics.Confirm(ctx, ref, token, false)
	code := ""
	if we := toWire(err); err != nil {
		code = "InternalError"
		if we != nil {
			code = we.Code
		}
	}
	c.admitted.Done(code)
	if err != nil {
		return nil, err
	}
	return subscribeResult{s.Ref.ARN()}, nil
}
