resource "sluice_topic" "orders" {
  name         = "orders"
  display_name = "Orders"
  tags = {
    team = "checkout"
  }
}

resource "sluice_topic" "payments" {
  name                        = "payments.fifo"
  fifo_topic                  = true
  content_based_deduplication = true
}
