package api

import (
	"net/http"
	"net/url"
	"strings"
)

// Path templates of the control plane's routes. {account} is a tenant's
// 12-digit account id, {key} an access key id, {queue} a queue name,
// {topic} a topic name and {subscription} a subscription id;
// [Expand] fills them in.
const (
	// PathOpenAPI serves the OpenAPI 3 document of the API, without
	// authentication.
	PathOpenAPI = "/v1/openapi.json"
	// PathTenants: POST creates a tenant, GET lists tenants.
	PathTenants = "/v1/tenants"
	// PathTenant: GET, PATCH and DELETE one tenant.
	PathTenant = "/v1/tenants/{account}"
	// PathTenantSuspend: POST suspends a tenant.
	PathTenantSuspend = "/v1/tenants/{account}/suspend"
	// PathTenantResume: POST resumes a suspended tenant.
	PathTenantResume = "/v1/tenants/{account}/resume"
	// PathAccessKeys: POST creates an access key, GET lists them.
	PathAccessKeys = "/v1/tenants/{account}/keys"
	// PathAccessKey: PATCH and DELETE one access key.
	PathAccessKey = "/v1/tenants/{account}/keys/{key}"
	// PathQueues: POST creates a queue, GET lists queue names.
	PathQueues = "/v1/tenants/{account}/queues"
	// PathQueue: GET, PATCH and DELETE one queue.
	PathQueue = "/v1/tenants/{account}/queues/{queue}"
	// PathTopics: POST creates a topic, GET lists topic names.
	PathTopics = "/v1/tenants/{account}/topics"
	// PathTopic: GET, PATCH and DELETE one topic.
	PathTopic = "/v1/tenants/{account}/topics/{topic}"
	// PathSubscriptions: POST subscribes to a topic, GET lists its
	// subscriptions.
	PathSubscriptions = "/v1/tenants/{account}/topics/{topic}/subscriptions"
	// PathSubscription: GET, PATCH and DELETE one subscription
	// ({subscription} is its id).
	PathSubscription = "/v1/tenants/{account}/topics/{topic}/subscriptions/{subscription}"
	// PathTenantTokens: POST mints a tenant-admin token.
	PathTenantTokens = "/v1/tenants/{account}/tokens"
	// PathTenantUsage: GET reads a tenant's metered usage; query
	// parameters from, to (RFC 3339), granularity (hour or day) and
	// groupBy (queue, action, comma-separated).
	PathTenantUsage = "/v1/tenants/{account}/usage"
	// PathRevokeToken: POST revokes a token.
	PathRevokeToken = "/v1/tokens/revoke"
	// PathInvoices: GET lists a tenant's invoices.
	PathInvoices = "/v1/tenants/{account}/invoices"
	// PathInvoice: GET one invoice ({invoice} is its id), as JSON or, with
	// Accept: text/csv, its lines as CSV.
	PathInvoice = "/v1/tenants/{account}/invoices/{invoice}"
	// PathPlans: GET lists the price plans.
	PathPlans = "/v1/plans"
	// PathPlan: GET a price plan ({name}; ?version=N for an old version),
	// PUT stores its next version.
	PathPlan = "/v1/plans/{name}"
)

// Route is one operation of the API: an HTTP method on a path template.
type Route struct {
	Method string
	Path   string
	// Request is the type of the JSON body the operation reads, as a nil
	// pointer (e.g. (*CreateTenantRequest)(nil)), or nil when it reads
	// none.
	Request any
	// Reply is the type of the JSON body of a successful reply, as a nil
	// pointer, or nil when the reply has no body.
	Reply any
	// Status is the status code of a successful reply.
	Status int
}

// Routes lists every operation the control plane serves.
var Routes = []Route{
	{http.MethodGet, PathOpenAPI, nil, nil, http.StatusOK},
	{http.MethodPost, PathTenants, (*CreateTenantRequest)(nil), (*Tenant)(nil), http.StatusCreated},
	{http.MethodGet, PathTenants, nil, (*TenantList)(nil), http.StatusOK},
	{http.MethodGet, PathTenant, nil, (*Tenant)(nil), http.StatusOK},
	{http.MethodPatch, PathTenant, (*UpdateTenantRequest)(nil), (*Tenant)(nil), http.StatusOK},
	{http.MethodDelete, PathTenant, nil, (*TenantDeletion)(nil), http.StatusAccepted},
	{http.MethodPost, PathTenantSuspend, nil, (*Tenant)(nil), http.StatusOK},
	{http.MethodPost, PathTenantResume, nil, (*Tenant)(nil), http.StatusOK},
	{http.MethodPost, PathAccessKeys, nil, (*AccessKey)(nil), http.StatusCreated},
	{http.MethodGet, PathAccessKeys, nil, (*AccessKeyList)(nil), http.StatusOK},
	{http.MethodPatch, PathAccessKey, (*UpdateAccessKeyRequest)(nil), (*AccessKey)(nil), http.StatusOK},
	{http.MethodDelete, PathAccessKey, nil, nil, http.StatusNoContent},
	{http.MethodPost, PathQueues, (*CreateQueueRequest)(nil), (*Queue)(nil), http.StatusCreated},
	{http.MethodGet, PathQueues, nil, (*QueueList)(nil), http.StatusOK},
	{http.MethodGet, PathQueue, nil, (*Queue)(nil), http.StatusOK},
	{http.MethodPatch, PathQueue, (*UpdateQueueRequest)(nil), (*Queue)(nil), http.StatusOK},
	{http.MethodDelete, PathQueue, nil, nil, http.StatusNoContent},
	{http.MethodPost, PathTopics, (*CreateTopicRequest)(nil), (*Topic)(nil), http.StatusCreated},
	{http.MethodGet, PathTopics, nil, (*TopicList)(nil), http.StatusOK},
	{http.MethodGet, PathTopic, nil, (*Topic)(nil), http.StatusOK},
	{http.MethodPatch, PathTopic, (*UpdateTopicRequest)(nil), (*Topic)(nil), http.StatusOK},
	{http.MethodDelete, PathTopic, nil, nil, http.StatusNoContent},
	{http.MethodPost, PathSubscriptions, (*CreateSubscriptionRequest)(nil), (*Subscription)(nil), http.StatusCreated},
	{http.MethodGet, PathSubscriptions, nil, (*SubscriptionList)(nil), http.StatusOK},
	{http.MethodGet, PathSubscription, nil, (*Subscription)(nil), http.StatusOK},
	{http.MethodPatch, PathSubscription, (*UpdateSubscriptionRequest)(nil), (*Subscription)(nil), http.StatusOK},
	{http.MethodDelete, PathSubscription, nil, nil, http.StatusNoContent},
	{http.MethodPost, PathTenantTokens, (*CreateTokenRequest)(nil), (*Token)(nil), http.StatusCreated},
	{http.MethodGet, PathTenantUsage, nil, (*Usage)(nil), http.StatusOK},
	{http.MethodPost, PathRevokeToken, (*RevokeTokenRequest)(nil), (*Revocation)(nil), http.StatusOK},
	{http.MethodGet, PathInvoices, nil, (*InvoiceList)(nil), http.StatusOK},
	{http.MethodGet, PathInvoice, nil, (*Invoice)(nil), http.StatusOK},
	{http.MethodGet, PathPlans, nil, (*PricePlanList)(nil), http.StatusOK},
	{http.MethodGet, PathPlan, nil, (*PricePlan)(nil), http.StatusOK},
	{http.MethodPut, PathPlan, (*PutPricePlanRequest)(nil), (*PricePlan)(nil), http.StatusOK},
}

// Expand fills a path template's parameters, in the order they appear,
// escaping each: Expand(PathQueue, "123456789012", "orders") is
// "/v1/tenants/123456789012/queues/orders". Parameters left over, or
// missing, leave the template's braces in place.
func Expand(template string, params ...string) string {
	var b strings.Builder
	rest := template
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 || len(params) == 0 {
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			break
		}
		b.WriteString(rest[:open])
		b.WriteString(url.PathEscape(params[0]))
		params = params[1:]
		rest = rest[open+end+1:]
	}
	b.WriteString(rest)
	return b.String()
}
