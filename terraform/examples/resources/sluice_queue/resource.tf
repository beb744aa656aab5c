resource "sluice_queue" "orders" {
  name                       = "orders"
  visibility_timeout_seconds = 60
  redrive_policy = jsonencode({
    deadLetterTargetArn = sluice_queue.orders_dlq.arn
    maxReceiveCount     = 5
  })
  tiering {
    hot_window_seconds = 120
  }
  tags = {
    team = "checkout"
  }
}

resource "sluice_queue" "orders_dlq" {
  name = "orders-dlq"
}
