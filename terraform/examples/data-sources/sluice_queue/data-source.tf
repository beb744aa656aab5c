data "sluice_queue" "orders" {
  name = "orders"
}
