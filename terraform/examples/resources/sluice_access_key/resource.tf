resource "sluice_access_key" "team_b" {
  account = sluice_tenant.team_b.account_id
  keepers = {
    rotation = "2026-01" # change to rotate
  }
  lifecycle {
    create_before_destroy = true
  }
}
