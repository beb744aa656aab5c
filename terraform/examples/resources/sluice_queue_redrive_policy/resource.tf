resource "sluice_queue_redrive_policy" "orders" {
  queue_url = sluice_queue.orders.url
  redrive_policy = jsonencode({
    deadLetterTargetArn = sluice_queue.orders_dlq.arn
    maxReceiveCount     = 5
  })
}
