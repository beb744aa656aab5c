resource "sluice_queue_policy" "orders" {
  queue_url = sluice_queue.orders.url
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "sqs:SendMessage"
      Resource  = sluice_queue.orders.arn
    }]
  })
}
