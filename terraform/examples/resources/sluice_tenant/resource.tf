resource "sluice_tenant" "team_b" {
  name = "team-b"
  plan = "free"
  quotas {
    max_queues      = 20
    send_per_second = 50
  }
}
