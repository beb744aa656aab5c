package restapi

var (
	topicParam        = obj{"name": "topic", "in": "path", "required": true, "schema": obj{"type": "string", "maxLength": 256}}
	subscriptionParam = obj{"name": "subscription", "in": "path", "required": true, "schema": obj{"type": "string", "format": "uuid"}, "description": "A subscription's id, the last part of its ARN."}
)

// topicErrors are the error replies of the topic routes: withErrors's,
// with SNS's codes.
func topicErrors(codes ...string) obj {
	out := withErrors(codes...)
	out["403"] = reply("The token's role or tenant does not allow this (Forbidden); TopicLimitExceeded (the tenant's maxQueues, counted for topics separately), SubscriptionLimitExceeded (1,000 a topic), AuthorizationError (another account's queue).", ref("Error"))
	out["404"] = reply("No such tenant (TenantNotFound), topic or subscription (NotFound).", ref("Error"))
	out["503"] = reply("TopicsUnavailable: topics are not configured on this node.", ref("Error"))
	return out
}

// addTopics adds the topic routes and schemas to the document.
func addTopics(doc obj) {
	paths := doc["paths"].(obj)
	schemas := doc["components"].(obj)["schemas"].(obj)
	role := "operator, the tenant's tenant-admin"
	paths["/v1/tenants/{account}/topics"] = merge(obj{
		"post": op("Create a topic, as SNS CreateTopic: same attributes, limits and errors (codes are SNS's); a FIFO topic's name ends in .fifo, with attribute FifoTopic true.", role,
			merge(obj{"201": reply("The topic.", ref("Topic"))}, topicErrors("400", "404", "429")),
			obj{"requestBody": jsonBody(ref("CreateTopic"))}),
		"get": op("List the tenant's topic names, 100 a page.", role,
			merge(obj{"200": reply("A page of names.", ref("TopicList"))}, topicErrors("400", "404", "429")),
			obj{"parameters": []obj{{"name": "next", "in": "query", "schema": obj{"type": "string"}}}}),
	}, obj{"parameters": []obj{accountParam}})
	paths["/v1/tenants/{account}/topics/{topic}"] = merge(obj{
		"get": op("Get a topic's attributes (as GetTopicAttributes) and tags.", role,
			merge(obj{"200": reply("The topic.", ref("Topic"))}, topicErrors("404", "429")), nil),
		"patch": op("Set attributes (as SetTopicAttributes; an empty value removes), add or remove tags, all in one transaction.", role,
			merge(obj{"200": reply("The topic.", ref("Topic"))}, topicErrors("400", "404", "429")),
			obj{"requestBody": jsonBody(ref("UpdateTopic"))}),
		"delete": op("Delete a topic and its subscriptions, as DeleteTopic.", role,
			merge(obj{"204": reply("Deleted.", nil)}, topicErrors("404", "429")), nil),
	}, obj{"parameters": []obj{accountParam, topicParam}})
	paths["/v1/tenants/{account}/topics/{topic}/subscriptions"] = merge(obj{
		"post": op("Subscribe to a topic, as SNS Subscribe: protocol sqs, endpoint a queue ARN or name of the tenant; attributes such as RawMessageDelivery, FilterPolicy, FilterTags, BindingKeys.", role,
			merge(obj{"201": reply("The subscription.", ref("Subscription"))}, topicErrors("400", "404", "429")),
			obj{"requestBody": jsonBody(ref("CreateSubscription"))}),
		"get": op("List a topic's subscriptions, 100 a page.", role,
			merge(obj{"200": reply("A page.", ref("SubscriptionList"))}, topicErrors("400", "404", "429")),
			obj{"parameters": []obj{{"name": "next", "in": "query", "schema": obj{"type": "string"}}}}),
	}, obj{"parameters": []obj{accountParam, topicParam}})
	paths["/v1/tenants/{account}/topics/{topic}/subscriptions/{subscription}"] = merge(obj{
		"get": op("Get a subscription's attributes, as GetSubscriptionAttributes.", role,
			merge(obj{"200": reply("The subscription.", ref("Subscription"))}, topicErrors("404", "429")), nil),
		"patch": op("Set subscription attributes (as SetSubscriptionAttributes; an empty value removes), in one transaction.", role,
			merge(obj{"200": reply("The subscription.", ref("Subscription"))}, topicErrors("400", "404", "429")),
			obj{"requestBody": jsonBody(ref("UpdateSubscription"))}),
		"delete": op("Delete a subscription, as Unsubscribe.", role,
			merge(obj{"204": reply("Deleted.", nil)}, topicErrors("404", "429")), nil),
	}, obj{"parameters": []obj{accountParam, topicParam, subscriptionParam}})

	strMap := func(desc string) obj {
		o := obj{"type": "object", "additionalProperties": obj{"type": "string"}}
		if desc != "" {
			o["description"] = desc
		}
		return o
	}
	schemas["Topic"] = obj{"type": "object", "properties": obj{
		"name": obj{"type": "string"}, "arn": obj{"type": "string"},
		"attributes": strMap("Every attribute GetTopicAttributes answers."),
		"tags":       strMap("")}}
	schemas["CreateTopic"] = obj{"type": "object", "required": []string{"name"}, "properties": obj{
		"name":       obj{"type": "string", "maxLength": 256},
		"attributes": strMap("SNS topic attributes, e.g. DisplayName, FifoTopic, ContentBasedDeduplication."),
		"tags":       strMap("")}}
	schemas["UpdateTopic"] = obj{"type": "object", "properties": obj{
		"attributes": strMap("Set; an empty value removes."),
		"tags":       strMap("Added or replaced."),
		"removeTags": obj{"type": "array", "items": obj{"type": "string"}}}}
	schemas["TopicList"] = obj{"type": "object", "properties": obj{
		"topics": obj{"type": "array", "items": obj{"type": "string"}}, "next": obj{"type": "string"}}}
	schemas["Subscription"] = obj{"type": "object", "properties": obj{
		"id": obj{"type": "string"}, "arn": obj{"type": "string"}, "topic": obj{"type": "string"},
		"protocol": obj{"type": "string"}, "endpoint": obj{"type": "string"},
		"attributes": strMap("Every attribute GetSubscriptionAttributes answers.")}}
	schemas["CreateSubscription"] = obj{"type": "object", "required": []string{"protocol", "endpoint"}, "properties": obj{
		"protocol":   obj{"type": "string", "enum": []string{"sqs"}},
		"endpoint":   obj{"type": "string", "description": "A queue ARN of the tenant, or a queue name of the control plane's region."},
		"attributes": strMap("RawMessageDelivery, FilterPolicy, FilterPolicyScope, FilterTags (a JSON array of 1-5 tags), BindingKeys (a JSON array of 1-5 binding keys with * and #), ...")}}
	schemas["UpdateSubscription"] = obj{"type": "object", "required": []string{"attributes"}, "properties": obj{
		"attributes": strMap("Set; an empty value removes.")}}
	schemas["SubscriptionList"] = obj{"type": "object", "properties": obj{
		"subscriptions": obj{"type": "array", "items": ref("Subscription")}, "next": obj{"type": "string"}}}
}
