resource "sluice_queue_redrive_allow_policy" "orders_dlq" {
  queue_url = sluice_queue.orders_dlq.url
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [sluice_queue.orders.arn]
  })
}
