data "sluice_queues" "orders" {
  queue_name_prefix = "orders"
}
