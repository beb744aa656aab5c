# A FIFO queue: messages of one group in order, deduplicated by body.
# The provider reads SLUICE_ENDPOINT, SLUICE_TOKEN and SLUICE_ACCOUNT.
terraform {
  required_providers {
    sluice = {
      source = "sluice-mq/sluice"
    }
  }
}

provider "sluice" {}

resource "sluice_queue" "payments" {
  name                        = "payments.fifo"
  fifo_queue                  = true
  content_based_deduplication = true
  deduplication_scope         = "messageGroup"
  fifo_throughput_limit       = "perMessageGroupId"

  # Bodies older than a minute, or beyond 16 MiB of hot bodies, move to
  # the cold tier.
  tiering {
    hot_window_seconds = 60
    hot_bytes_budget   = 16777216
  }
}

output "queue_url" {
  value = sluice_queue.payments.url
}
