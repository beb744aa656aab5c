data "sluice_server" "this" {}

output "sluice_version" {
  value = data.sluice_server.this.version
}
