# Or leave the block empty and set SLUICE_ENDPOINT, SLUICE_TOKEN and
# SLUICE_ACCOUNT.
provider "sluice" {
  endpoint = "http://127.0.0.1:9324"
  token    = var.sluice_token # `sluice dev` prints an operator token
  account  = "972019064209"   # for queues and keys; a tenant-admin token implies it
}
