resource "sluice_topic" "orders" {
  name = "orders"
}

resource "sluice_queue" "eu_orders" {
  name = "eu-orders"
}

# Gets the orders routed to Europe (CMQ binding keys on the message's
# sluice.routingKey attribute) that are tagged urgent or vip (sluice.tags)
# and are worth at least 100 (an SNS filter policy): all filters must match.
resource "sluice_topic_subscription" "eu_orders" {
  topic                = sluice_topic.orders.name
  protocol             = "sqs"
  endpoint             = sluice_queue.eu_orders.arn
  raw_message_delivery = true
  binding_keys         = ["order.eu.*", "#.eu.refund"]
  filter_tags          = ["urgent", "vip"]
  filter_policy = jsonencode({
    total = [{ numeric = [">=", 100] }]
  })
}
