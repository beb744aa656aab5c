package restapi

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// OpenAPIPath serves the OpenAPI 3 document of this API, without auth.
const OpenAPIPath = "/v1/openapi.json"

func (a *API) openAPI(c echo.Context) error { return c.JSON(http.StatusOK, openAPIDocument()) }

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func jsonBody(schema obj) obj {
	return obj{"content": obj{"application/json": obj{"schema": schema}}}
}

func reply(desc string, schema obj) obj {
	r := obj{"description": desc}
	if schema != nil {
		r["content"] = obj{"application/json": obj{"schema": schema}}
	}
	return r
}

// errors every authenticated route may answer.
func withErrors(codes ...string) obj {
	out := obj{
		"401": reply("Missing, invalid, expired or revoked bearer token, or a tenant-admin token whose tenant no longer exists.", ref("Error")),
		"403": reply("The token's role or tenant does not allow this (Forbidden); on queue routes also a tenant quota that is reached (OverLimit).", ref("Error")),
	}
	for _, c := range codes {
		switch c {
		case "400":
			out[c] = reply("Invalid input.", ref("Error"))
		case "404":
			out[c] = reply("No such tenant, access key or queue.", ref("Error"))
		case "409":
			out[c] = reply("Already exists.", ref("Error"))
		case "503":
			out[c] = reply("BillingUnavailable: billing is not configured on this node.", ref("Error"))
		case "429":
			out[c] = reply("RequestThrottled: the tenant's admin rate quota is used up for now; retry with backoff.", ref("Error"))
		}
	}
	return out
}

func op(summary, role string, responses obj, extra obj) obj {
	o := obj{"summary": summary, "description": "Allowed to: " + role + ".", "responses": responses, "security": []obj{{"bearer": []string{}}}}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

func merge(a, b obj) obj {
	for k, v := range b {
		a[k] = v
	}
	return a
}

var (
	accountParam = obj{"name": "account", "in": "path", "required": true, "schema": obj{"type": "string", "pattern": "^[0-9]{12}$"}}
	keyParam     = obj{"name": "key", "in": "path", "required": true, "schema": obj{"type": "string"}}
	queueParam   = obj{"name": "queue", "in": "path", "required": true, "schema": obj{"type": "string", "maxLength": 80}}
	invoiceParam = obj{"name": "invoice", "in": "path", "required": true, "schema": obj{"type": "string", "pattern": "^inv_[0-9]{12}_[0-9]{4}-[0-9]{2}$"}, "description": "An invoice id, inv_{account}_{YYYY-MM}."}
	planParam    = obj{"name": "name", "in": "path", "required": true, "schema": obj{"type": "string", "enum": []string{"free", "standard", "large"}}}
)

// openAPIDocument describes every route Register mounts and, in its
// schemas, the sdk/api types the routes read and write; openapi_test.go
// holds the three together.
func openAPIDocument() obj {
	account := obj{"parameters": []obj{accountParam}}
	key := obj{"parameters": []obj{accountParam, keyParam}}
	doc := obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "Sluice control plane",
			"version":     "1",
			"description": "Tenants, access keys, quotas, queues, invoices and price plans. Bearer JWTs from `sluice token create`: role operator for every tenant, tenant-admin for one account. A revoked token, or a tenant-admin token whose tenant was deleted (even if its account id was taken again since), is refused with 401.",
		},
		"paths": obj{
			"/v1/openapi.json": obj{"get": obj{"summary": "This document.", "responses": obj{"200": reply("The OpenAPI document.", obj{"type": "object"})}}},
			"/v1/tenants": obj{
				"post": op("Create a tenant; the account id is generated unless given.", "operator",
					merge(obj{"201": reply("Created.", ref("Tenant"))}, withErrors("400", "409")),
					obj{"requestBody": jsonBody(ref("CreateTenant"))}),
				"get": op("List tenants by account id, a page at a time.", "operator",
					merge(obj{"200": reply("A page.", ref("TenantList"))}, withErrors("400")),
					obj{"parameters": []obj{
						{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
						{"name": "after", "in": "query", "schema": obj{"type": "string"}, "description": "The previous page's next."},
					}}),
			},
			"/v1/tenants/{account}": merge(obj{
				"get": op("Get a tenant.", "operator, the tenant's tenant-admin",
					merge(obj{"200": reply("The tenant.", ref("Tenant"))}, withErrors("404")), nil),
				"delete": op("Delete a tenant: its keys stop working at once, its queues and messages are removed in the background, and the account id is free again after that.", "operator",
					merge(obj{"202": reply("Deletion started.", ref("TenantDeletion"))}, withErrors("404")), nil),
				"patch": op("Change the plan and quota overrides; every node enforces them within seconds.", "operator",
					merge(obj{"200": reply("The tenant.", ref("Tenant"))}, withErrors("400", "404")),
					obj{"requestBody": jsonBody(ref("UpdateTenant"))}),
			}, account),
			"/v1/tenants/{account}/suspend": merge(obj{
				"post": op("Suspend a tenant: its SQS calls are refused (AccessDenied) until resumed; nothing is deleted.", "operator",
					merge(obj{"200": reply("The tenant.", ref("Tenant"))}, withErrors("404")), nil),
			}, account),
			"/v1/tenants/{account}/resume": merge(obj{
				"post": op("Resume a suspended tenant.", "operator",
					merge(obj{"200": reply("The tenant.", ref("Tenant"))}, withErrors("404")), nil),
			}, account),
			"/v1/tenants/{account}/keys": merge(obj{
				"post": op("Create an access key. The secret is in this reply only.", "operator, the tenant's tenant-admin",
					merge(obj{"201": reply("The key and its secret.", ref("AccessKey"))}, withErrors("404")), nil),
				"get": op("List the tenant's access keys (no secrets).", "operator, the tenant's tenant-admin",
					merge(obj{"200": reply("The keys.", ref("AccessKeyList"))}, withErrors("404")), nil),
			}, account),
			"/v1/tenants/{account}/queues": merge(obj{
				"post": op("Create a queue, as SQS CreateQueue: same attributes, defaults and errors (codes are SQS's).", "operator, the tenant's tenant-admin",
					merge(obj{"201": reply("The queue.", ref("Queue"))}, withErrors("400", "404", "409", "429")),
					obj{"requestBody": jsonBody(ref("CreateQueue"))}),
				"get": op("List the tenant's queue names.", "operator, the tenant's tenant-admin",
					merge(obj{"200": reply("A page of names.", ref("QueueList"))}, withErrors("400", "404", "429")),
					obj{"parameters": []obj{
						{"name": "prefix", "in": "query", "schema": obj{"type": "string"}},
						{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 1000, "default": 1000}},
						{"name": "next", "in": "query", "schema": obj{"type": "string"}},
					}}),
			}, account),
			"/v1/tenants/{account}/queues/{queue}": merge(obj{
				"get": op("Get a queue's attributes (All, as GetQueueAttributes) and tags.", "operator, the tenant's tenant-admin",
					merge(obj{"200": reply("The queue.", ref("Queue"))}, withErrors("404", "429")), nil),
				"patch": op("Set attributes (as SetQueueAttributes), add or remove tags, and change tiering settings.", "operator, the tenant's tenant-admin",
					merge(obj{"200": reply("The queue.", ref("Queue"))}, withErrors("400", "404", "429")),
					obj{"requestBody": jsonBody(ref("UpdateQueue"))}),
				"delete": op("Delete a queue, as DeleteQueue.", "operator, the tenant's tenant-admin",
					merge(obj{"204": reply("Deleted.", nil)}, withErrors("404", "429")), nil),
			}, obj{"parameters": []obj{accountParam, queueParam}}),
			"/v1/tenants/{account}/tokens": merge(obj{
				"post": op("Mint a tenant-admin token for the tenant. It names the tenant's incarnation, so it never holds for a later tenant given the same account id. (`sluice token create` mints offline; its tokens hold only for a tenant created before they were issued.)", "operator",
					merge(obj{"201": reply("The token; keep its id to revoke it.", ref("Token"))}, withErrors("400", "404")),
					obj{"requestBody": jsonBody(ref("CreateToken"))}),
			}, account),
			"/v1/tenants/{account}/usage": merge(obj{
				"get": op("Read the tenant's metered usage (request units, throttled and unauthenticated calls, bytes in and out, storage byte-hours, queue-hours) in hour or day buckets (UTC), the open hour included; usage is readable within seconds of the calls.", "operator, the tenant's tenant-admin",
					merge(obj{"200": reply("The usage.", ref("Usage"))}, withErrors("400", "404")),
					obj{"parameters": []obj{
						{"name": "from", "in": "query", "schema": obj{"type": "string", "format": "date-time"}, "description": "Truncated to the hour; default: the start of the current UTC month."},
						{"name": "to", "in": "query", "schema": obj{"type": "string", "format": "date-time"}, "description": "Exclusive, truncated to the hour; default: through the current hour. At most 367 days after from."},
						{"name": "granularity", "in": "query", "schema": obj{"type": "string", "enum": []string{"hour", "day"}, "default": "day"}, "description": "Hours are kept until a day is rolled up, 48 h after it ends: hour is refused (400) for a from before the start of the UTC day that was open 48 h ago, and then defaults from to that day's start."},
						{"name": "groupBy", "in": "query", "schema": obj{"type": "string"}, "description": "Comma-separated: queue (also gives the queue's region), action."},
					}}),
			}, account),
			"/v1/tokens/revoke": obj{
				"post": op("Revoke a token: every node refuses it (401) within 2 s, this one at once. Give the token, or (operators only) its id (the jti claim) with an optional expiresAt; the revocation is kept until the token would have expired anyway.",
					"operator (any token); a tenant-admin, for tenant-admin tokens of its own account, given whole",
					merge(obj{"200": reply("Revoked (revoking again changes nothing).", ref("Revocation"))}, withErrors("400")),
					obj{"requestBody": jsonBody(ref("RevokeToken"))}),
			},
			"/v1/tenants/{account}/invoices": merge(obj{
				"get": op("List the tenant's invoices, oldest first: the finalized ones, then drafts of the current month and, until it is finalized, the month before.", "operator, the tenant's tenant-admin",
					merge(obj{"200": reply("The invoices.", ref("InvoiceList"))}, withErrors("404", "503")), nil),
			}, account),
			"/v1/tenants/{account}/invoices/{invoice}": merge(obj{
				"get": op("Get an invoice: one per tenant and calendar month (UTC), a draft computed on read until 48 h after the month ends, then finalized and immutable. With Accept: text/csv the reply is its lines as CSV (text/csv) instead.", "operator, the tenant's tenant-admin",
					merge(obj{"200": obj{"description": "The invoice.", "content": obj{
						"application/json": obj{"schema": ref("Invoice")},
						"text/csv":         obj{"schema": obj{"type": "string"}}}}}, withErrors("404", "503")), nil),
			}, obj{"parameters": []obj{accountParam, invoiceParam}}),
			"/v1/plans": obj{
				"get": op("List the price plans, each at its current version.", "operator, any tenant-admin",
					merge(obj{"200": reply("The plans.", ref("PricePlanList"))}, withErrors("503")), nil),
			},
			"/v1/plans/{name}": merge(obj{
				"get": op("Get a price plan at its current version, or at ?version=N (0 is the built-in default).", "operator, any tenant-admin",
					merge(obj{"200": reply("The plan.", ref("PricePlan"))}, withErrors("400", "404", "503")),
					obj{"parameters": []obj{{"name": "version", "in": "query", "schema": obj{"type": "integer", "minimum": 0}}}}),
				"put": op("Store the next version of a price plan: the current version's values, changed where the body says. Invoices keep the version they were rated with.", "operator",
					merge(obj{"200": reply("The new version.", ref("PricePlan"))}, withErrors("400", "404", "503")),
					obj{"requestBody": jsonBody(ref("PutPricePlan"))}),
			}, obj{"parameters": []obj{planParam}}),
			"/v1/tenants/{account}/keys/{key}": merge(obj{
				"patch": op("Enable or disable an access key.", "operator, the tenant's tenant-admin",
					merge(obj{"200": reply("The key.", ref("AccessKey"))}, withErrors("400", "404")),
					obj{"requestBody": jsonBody(ref("UpdateAccessKey"))}),
				"delete": op("Delete an access key.", "operator, the tenant's tenant-admin",
					merge(obj{"204": reply("Deleted.", nil)}, withErrors("404")), nil),
			}, key),
		},
		"components": obj{
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
			"schemas": obj{
				"Error": obj{"type": "object", "properties": obj{"error": obj{"type": "object", "properties": obj{
					"code": obj{"type": "string"}, "message": obj{"type": "string"}}}}},
				"CreateTenant": obj{"type": "object", "properties": obj{
					"accountId": obj{"type": "string", "pattern": "^[0-9]{12}$"}, "name": obj{"type": "string", "maxLength": 80},
					"plan": ref("Plan"), "quotas": ref("Quotas")}},
				"UpdateTenant": obj{"type": "object", "properties": obj{"plan": ref("Plan"), "quotas": ref("Quotas")}},
				"Plan":         obj{"type": "string", "enum": []string{"free", "standard", "large"}, "default": "standard"},
				"Quotas": obj{"type": "object", "description": "Per tenant; in overrides 0 or absent means the plan's value.", "properties": obj{
					"maxQueues":           obj{"type": "integer"},
					"sendPerSecond":       obj{"type": "number", "description": "SendMessage and SendMessageBatch calls per second."},
					"receivePerSecond":    obj{"type": "number", "description": "ReceiveMessage calls per second."},
					"deletePerSecond":     obj{"type": "number", "description": "DeleteMessage(Batch) and ChangeMessageVisibility(Batch) calls per second."},
					"adminPerSecond":      obj{"type": "number", "description": "Calls of every other action per second."},
					"maxMessageBytes":     obj{"type": "integer", "maximum": 1048576},
					"maxInFlightPerQueue": obj{"type": "integer", "maximum": 120000, "description": "ReceiveMessage answers OverLimit at this many in flight (counted at most a second ago)."},
					"maxStoredBytes":      obj{"type": "integer", "description": "Bodies plus attributes in all the tenant's queues; sends past it answer OverLimit (the total is up to 2 s old)."}}},
				"Tenant": obj{"type": "object", "properties": obj{
					"accountId": obj{"type": "string"}, "name": obj{"type": "string"},
					"status":          obj{"type": "string", "enum": []string{"active", "suspended"}},
					"plan":            ref("Plan"),
					"quotas":          ref("Quotas"),
					"effectiveQuotas": ref("Quotas"),
					"createdAt":       obj{"type": "string", "format": "date-time"}, "updatedAt": obj{"type": "string", "format": "date-time"}}},
				"TenantDeletion": obj{"type": "object", "properties": obj{
					"accountId": obj{"type": "string"}, "status": obj{"type": "string", "enum": []string{"deleting"}}}},
				"TenantList": obj{"type": "object", "properties": obj{
					"tenants": obj{"type": "array", "items": ref("Tenant")}, "next": obj{"type": "string"}}},
				"AccessKey": obj{"type": "object", "properties": obj{
					"accessKeyId": obj{"type": "string"}, "accountId": obj{"type": "string"},
					"status":          obj{"type": "string", "enum": []string{"active", "inactive"}},
					"createdAt":       obj{"type": "string", "format": "date-time"},
					"secretAccessKey": obj{"type": "string", "description": "Only when the key is created."}}},
				"CreateQueue": obj{"type": "object", "required": []string{"name"}, "properties": obj{
					"name":       obj{"type": "string", "maxLength": 80},
					"attributes": obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "SQS queue attributes, e.g. VisibilityTimeout."},
					"tags":       obj{"type": "object", "additionalProperties": obj{"type": "string"}},
					"tiering":    ref("TieringPatch")}},
				"UpdateQueue": obj{"type": "object", "properties": obj{
					"attributes": obj{"type": "object", "additionalProperties": obj{"type": "string"}},
					"tags":       obj{"type": "object", "additionalProperties": obj{"type": "string"}},
					"removeTags": obj{"type": "array", "items": obj{"type": "string"}},
					"tiering":    ref("TieringPatch")}},
				"TieringSettings": obj{"type": "object", "description": "Cold tier: a message's body moves to a segment on the blob store once it is older than the hot window, or sooner, oldest first, while the queue's hot bytes exceed the budget.", "properties": obj{
					"hotWindowSeconds": obj{"type": "integer", "minimum": 0, "maximum": 1209600, "default": 300},
					"hotBytesBudget":   obj{"type": "integer", "minimum": 0, "maximum": 1099511627776, "default": 67108864}}},
				"TieringPatch": obj{"type": "object", "description": "Changes only the tiering settings it names.", "properties": obj{
					"hotWindowSeconds": obj{"type": "integer", "minimum": 0, "maximum": 1209600},
					"hotBytesBudget":   obj{"type": "integer", "minimum": 0, "maximum": 1099511627776}}},
				"Queue": obj{"type": "object", "properties": obj{
					"name": obj{"type": "string"}, "arn": obj{"type": "string"},
					"attributes": obj{"type": "object", "additionalProperties": obj{"type": "string"}},
					"tags":       obj{"type": "object", "additionalProperties": obj{"type": "string"}},
					"tiering":    ref("TieringSettings"),
					"storage":    ref("QueueStorage")}},
				"QueueStorage": obj{"type": "object", "description": "What the queue stores, as every node flushed it (about a second old); bytes count bodies plus attributes.", "properties": obj{
					"messages": obj{"type": "integer"}, "hotBytes": obj{"type": "integer"},
					"coldBytes": obj{"type": "integer"}, "segments": obj{"type": "integer"}}},
				"QueueList": obj{"type": "object", "properties": obj{
					"queues": obj{"type": "array", "items": obj{"type": "string"}}, "next": obj{"type": "string"}}},
				"AccessKeyList": obj{"type": "object", "properties": obj{"keys": obj{"type": "array", "items": ref("AccessKey")}}},
				"CreateToken": obj{"type": "object", "properties": obj{
					"ttlSeconds": obj{"type": "integer", "minimum": 1, "maximum": 31622400, "default": 86400}}},
				"Token": obj{"type": "object", "properties": obj{
					"token":     obj{"type": "string", "description": "A bearer JWT, role tenant-admin."},
					"id":        obj{"type": "string", "description": "The token's id (jti), by which it can be revoked."},
					"accountId": obj{"type": "string"}, "expiresAt": obj{"type": "string", "format": "date-time"}}},
				"RevokeToken": obj{"type": "object", "description": "Either token, or id with an optional expiresAt (default and upper bound: 366 days from now, the longest a token lives).", "properties": obj{
					"token":     obj{"type": "string"},
					"id":        obj{"type": "string", "pattern": "^[A-Za-z0-9_-]{16,128}$"},
					"expiresAt": obj{"type": "string", "format": "date-time"}}},
				"Revocation": obj{"type": "object", "properties": obj{
					"id": obj{"type": "string"}, "accountId": obj{"type": "string", "description": "The token's account, when known."},
					"expiresAt": obj{"type": "string", "format": "date-time"}, "revokedAt": obj{"type": "string", "format": "date-time"}}},
				"Usage": obj{"type": "object", "properties": obj{
					"accountId":   obj{"type": "string"},
					"from":        obj{"type": "string", "format": "date-time"},
					"to":          obj{"type": "string", "format": "date-time"},
					"granularity": obj{"type": "string", "description": "hour or day."},
					"buckets":     obj{"type": "array", "items": ref("UsageBucket")}}},
				"UsageBucket": obj{"type": "object", "properties": obj{
					"start":      obj{"type": "string", "format": "date-time"},
					"end":        obj{"type": "string", "format": "date-time"},
					"quantities": obj{"type": "array", "items": ref("UsageQuantity")}}},
				"UsageQuantity": obj{"type": "object", "properties": obj{
					"meter":      obj{"type": "string", "description": "requests, throttled_requests, unauthenticated_requests, ingress_bytes, egress_bytes, storage_byte_hours or queue_hours."},
					"dimensions": obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "queue, queueType (standard, fifo), action (send, receive, delete, admin), tier (hot, cold), where they apply and were asked for."},
					"quantity":   obj{"type": "integer"},
					"unit":       obj{"type": "string"}}},
				"PricePlan": obj{"type": "object", "description": "Money in micros: integer millionths of the currency's unit.", "properties": pricePlanProps(obj{
					"name": obj{"type": "string"}, "version": obj{"type": "integer", "minimum": 0},
					"createdAt": obj{"type": "string", "format": "date-time"}})},
				"PutPricePlan":  obj{"type": "object", "description": "Absent fields keep the current version's value. Prices must not be negative.", "properties": pricePlanProps(obj{})},
				"PricePlanList": obj{"type": "object", "properties": obj{"plans": obj{"type": "array", "items": ref("PricePlan")}}},
				"Invoice": obj{"type": "object", "properties": obj{
					"id": obj{"type": "string"}, "number": obj{"type": "string"}, "accountId": obj{"type": "string"},
					"periodStart": obj{"type": "string", "format": "date-time"}, "periodEnd": obj{"type": "string", "format": "date-time"},
					"status":      obj{"type": "string", "enum": []string{"draft", "finalized"}},
					"finalizedAt": obj{"type": "string", "format": "date-time"},
					"currency":    obj{"type": "string"}, "plan": obj{"type": "string"}, "planVersion": obj{"type": "integer"},
					"lines":          obj{"type": "array", "items": ref("InvoiceLine")},
					"subtotalMicros": obj{"type": "integer"}, "totalMicros": obj{"type": "integer"},
					"queues": obj{"type": "array", "items": ref("QueueUsage")}}},
				"InvoiceLine": obj{"type": "object", "description": "One meter's charge; each amount is rounded once, to the nearest micro, halves up. Adjustment lines (correctionOf) bill usage of a finalized month that arrived late, at that invoice's prices.", "properties": obj{
					"meter": obj{"type": "string"}, "queueType": obj{"type": "string"}, "tier": obj{"type": "string"},
					"description": obj{"type": "string"}, "quantity": obj{"type": "integer"}, "unit": obj{"type": "string"},
					"freeUnits": obj{"type": "integer"}, "unitPriceMicros": obj{"type": "integer"}, "priceUnit": obj{"type": "string"},
					"amountMicros": obj{"type": "integer"}, "informational": obj{"type": "boolean"}, "correctionOf": obj{"type": "string"}}},
				"QueueUsage": obj{"type": "object", "properties": obj{
					"queue": obj{"type": "string"}, "meter": obj{"type": "string"}, "queueType": obj{"type": "string"},
					"class": obj{"type": "string"}, "tier": obj{"type": "string"}, "quantity": obj{"type": "integer"}}},
				"InvoiceList": obj{"type": "object", "properties": obj{"invoices": obj{"type": "array", "items": ref("Invoice")}}},
				"UpdateAccessKey": obj{"type": "object", "required": []string{"status"}, "properties": obj{
					"status": obj{"type": "string", "enum": []string{"active", "inactive"}}}},
			},
		},
	}
	addTopics(doc)
	return doc
}

// pricePlanProps are a price plan's prices, added to extra.
func pricePlanProps(extra obj) obj {
	micros := func(desc string) obj { return obj{"type": "integer", "minimum": 0, "description": desc} }
	return merge(extra, obj{
		"currency":                    obj{"type": "string", "pattern": "^[A-Z]{3}$"},
		"freeRequestUnits":            obj{"type": "integer", "minimum": 0, "description": "Per month, shared: standard requests first, then FIFO."},
		"standardPerMillionMicros":    micros("Per million standard request units."),
		"fifoPerMillionMicros":        micros("Per million FIFO request units."),
		"hotStoragePerGBMonthMicros":  micros("Per GB-month (2^30 bytes for a whole month) hot."),
		"coldStoragePerGBMonthMicros": micros("Per GB-month cold."),
		"egressPerGBMicros":           micros("Per GB (2^30 bytes) delivered."),
		"queuePerMonthMicros":         micros("Per queue existing a whole month."),
	})
}
