# A tenant on the free plan with one more queue than the plan allows, and
# an access key for its SQS clients. Needs an operator token
# (SLUICE_TOKEN); the provider reads SLUICE_ENDPOINT too.
terraform {
  required_providers {
    sluice = {
      source = "sluice-mq/sluice"
    }
  }
}

provider "sluice" {}

resource "sluice_tenant" "team_b" {
  name = "team-b"
  plan = "free"
  quotas {
    max_queues = 11
  }
}

resource "sluice_access_key" "team_b" {
  account = sluice_tenant.team_b.account_id
  # Change to rotate: the new key is created before the old one is deleted.
  keepers = {
    rotation = "2026-01"
  }
  lifecycle {
    create_before_destroy = true
  }
}

output "account_id" {
  value = sluice_tenant.team_b.account_id
}

output "access_key_id" {
  value = sluice_access_key.team_b.access_key_id
}

output "secret_access_key" {
  value     = sluice_access_key.team_b.secret_access_key
  sensitive = true
}
