package restapi_test

import (
	"fmt"
	"testing"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/sdk/api"
)

func TestTopicManagement(t *testing.T) {
	kvtest.ForEachDriver(t, func(t *testing.T, store kv.Store) {
		f := newFixture(t, store)
		op := f.token(t, jwtauth.RoleOperator, "")
		var tenant, other tenantReply
		f.do(t, op, "POST", "/v1/tenants", `{"quotas":{"maxQueues":2}}`, 201, &tenant)
		f.do(t, op, "POST", "/v1/tenants", `{}`, 201, &other)
		admin := f.token(t, jwtauth.RoleTenantAdmin, tenant.AccountID)
		base := "/v1/tenants/" + tenant.AccountID + "/topics"

		var tp api.Topic
		f.do(t, admin, "POST", base, `{"name":"events","attributes":{"DisplayName":"Events"},"tags":{"team":"a"}}`, 201, &tp)
		if tp.ARN != "arn:aws:sns:us-east-1:"+tenant.AccountID+":events" || tp.Attributes["DisplayName"] != "Events" ||
			tp.Attributes["SubscriptionsConfirmed"] != "0" || tp.Tags["team"] != "a" {
			t.Fatalf("created %+v", tp)
		}
		// SNS semantics, SNS codes.
		f.do(t, admin, "POST", base, `{"name":"events","attributes":{"DisplayName":"Events"}}`, 201, nil)
		f.do(t, admin, "POST", base, `{"name":"events","attributes":{"DisplayName":"Other"}}`, 400, nil)
		f.do(t, admin, "POST", base, `{"name":"bad name!"}`, 400, nil)
		f.do(t, admin, "POST", base, `{"name":"f.fifo","attributes":{"FifoTopic":"true","ContentBasedDeduplication":"true"}}`, 201, nil)
		var e api.Error
		f.do(t, admin, "POST", base, `{"name":"third"}`, 403, &e) // maxQueues 2, for topics
		if e.Error.Code != "TopicLimitExceeded" {
			t.Fatalf("third topic: %+v", e)
		}
		var list api.TopicList
		f.do(t, admin, "GET", base, "", 200, &list)
		if fmt.Sprint(list.Topics) != "[events f.fifo]" || list.Next != "" {
			t.Fatalf("list %+v", list)
		}
		tp = api.Topic{} // decoding merges into maps
		f.do(t, admin, "PATCH", base+"/events", `{"attributes":{"DisplayName":"","SignatureVersion":"2"},"tags":{"env":"prod"},"removeTags":["team"]}`, 200, &tp)
		if tp.Attributes["DisplayName"] != "" || tp.Attributes["SignatureVersion"] != "2" || fmt.Sprint(tp.Tags) != "map[env:prod]" {
			t.Fatalf("updated %+v", tp)
		}
		// A bad attribute changes nothing.
		f.do(t, admin, "PATCH", base+"/events", `{"attributes":{"SignatureVersion":"1","Nope":"x"}}`, 400, nil)
		tp = api.Topic{}
		f.do(t, admin, "GET", base+"/events", "", 200, &tp)
		if tp.Attributes["SignatureVersion"] != "2" {
			t.Fatalf("a refused update changed the topic: %+v", tp)
		}
		f.do(t, admin, "GET", base+"/missing", "", 404, nil)
		f.do(t, admin, "GET", base+"/bad%20name", "", 404, nil)
		// Another tenant's admin reaches nothing.
		otherAdmin := f.token(t, jwtauth.RoleTenantAdmin, other.AccountID)
		f.do(t, otherAdmin, "GET", base+"/events", "", 403, nil)

		// Subscriptions, by queue name or ARN.
		f.do(t, admin, "POST", "/v1/tenants/"+tenant.AccountID+"/queues", `{"name":"q1"}`, 201, nil)
		subs := base + "/events/subscriptions"
		var s api.Subscription
		f.do(t, admin, "POST", subs, `{"protocol":"sqs","endpoint":"q1","attributes":{"RawMessageDelivery":"true","BindingKeys":"[\"order.#\"]"}}`, 201, &s)
		if s.Endpoint != "arn:aws:sqs:us-east-1:"+tenant.AccountID+":q1" || s.ARN != tp.ARN+":"+s.ID || s.Topic != "events" ||
			s.Attributes["RawMessageDelivery"] != "true" || s.Attributes["BindingKeys"] != `["order.#"]` {
			t.Fatalf("subscribed %+v", s)
		}
		f.do(t, admin, "POST", subs, `{"protocol":"sqs","endpoint":"arn:aws:sqs:us-east-1:`+other.AccountID+`:q"}`, 403, &e)
		if e.Error.Code != "AuthorizationError" {
			t.Fatalf("another tenant's queue: %+v", e)
		}
		f.do(t, admin, "POST", subs, `{"protocol":"sqs","endpoint":"q2","attributes":{"FilterTags":"[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\"]"}}`, 400, &e)
		if e.Error.Code != "InvalidParameter" {
			t.Fatalf("6 filter tags: %+v", e)
		}
		f.do(t, admin, "POST", subs, `{"protocol":"sqs","endpoint":"q1.fifo"}`, 400, nil)
		var sl api.SubscriptionList
		f.do(t, admin, "GET", subs, "", 200, &sl)
		if len(sl.Subscriptions) != 1 || sl.Subscriptions[0].ID != s.ID || sl.Subscriptions[0].Attributes["Protocol"] != "sqs" {
			t.Fatalf("subscriptions %+v", sl)
		}
		s = api.Subscription{ID: s.ID}
		f.do(t, admin, "PATCH", subs+"/"+s.ID, `{"attributes":{"BindingKeys":"","FilterTags":"[\"red\"]"}}`, 200, &s)
		if s.Attributes["BindingKeys"] != "" || s.Attributes["FilterTags"] != `["red"]` {
			t.Fatalf("updated subscription %+v", s)
		}
		f.do(t, admin, "PATCH", subs+"/"+s.ID, `{"attributes":{"FilterTags":"[\"red\"]","BindingKeys":"[\"a..b\"]"}}`, 400, nil)
		f.do(t, admin, "GET", subs+"/not-an-id", "", 404, nil)
		f.do(t, admin, "GET", subs+"/00000000-0000-4000-8000-000000000000", "", 404, nil)
		f.do(t, admin, "DELETE", subs+"/"+s.ID, "", 204, nil)
		f.do(t, admin, "DELETE", subs+"/"+s.ID, "", 404, nil)

		f.do(t, admin, "DELETE", base+"/events", "", 204, nil)
		f.do(t, admin, "DELETE", base+"/events", "", 404, nil)
		f.do(t, admin, "GET", subs, "", 404, nil)
		f.do(t, admin, "POST", base, `{"name":"third"}`, 201, nil) // the count went down
	})
}
