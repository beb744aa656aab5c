# A queue whose failed messages go to a dead-letter queue after 5 receives.
# The provider reads SLUICE_ENDPOINT, SLUICE_TOKEN and SLUICE_ACCOUNT.
terraform {
  required_providers {
    sluice = {
      source = "sluice-mq/sluice"
    }
  }
}

provider "sluice" {}

resource "sluice_queue" "orders_dlq" {
  name                      = "orders-dlq"
  message_retention_seconds = 1209600 # 14 days, to inspect what failed
}

resource "sluice_queue" "orders" {
  name                       = "orders"
  visibility_timeout_seconds = 60
  receive_wait_time_seconds  = 20
  redrive_policy = jsonencode({
    deadLetterTargetArn = sluice_queue.orders_dlq.arn
    maxReceiveCount     = 5
  })
  tags = {
    team = "checkout"
  }
}

# Only orders may use orders-dlq as its dead-letter queue. A separate
# resource, so the two queues can refer to each other without a cycle.
resource "sluice_queue_redrive_allow_policy" "orders_dlq" {
  queue_url = sluice_queue.orders_dlq.url
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [sluice_queue.orders.arn]
  })
}

output "queue_url" {
  value = sluice_queue.orders.url
}

output "dead_letter_queue_url" {
  value = sluice_queue.orders_dlq.url
}
