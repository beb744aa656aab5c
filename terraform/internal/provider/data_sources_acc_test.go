package provider

import (
	"context"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/terraform/internal/sluicedev"
)

// tenantAdminToken mints a tenant-admin token for the dev tenant.
func tenantAdminToken(t *testing.T, s *sluicedev.Server) string {
	t.Helper()
	tok, err := operatorClient(s).CreateToken(context.Background(), s.AccountID, api.CreateTokenRequest{TTLSeconds: 3600})
	if err != nil {
		t.Fatalf("mint a tenant-admin token: %v", err)
	}
	return tok.Token
}

// A tenant-admin token alone is enough: the provider takes the account
// from it.
func TestAccDataSourcesWithTenantAdminToken(t *testing.T) {
	s := accServer(t)
	token := tenantAdminToken(t, s)
	config := providerConfig(s, token, "") + `
resource "sluice_queue" "a" {
  name = "acc-ds-a"
  tags = { k = "v" }
}

resource "sluice_queue" "b" {
  name = "acc-ds-b"
}

data "sluice_queue" "a" {
  name = sluice_queue.a.name
}

data "sluice_queues" "ds" {
  queue_name_prefix = "acc-ds-"
  depends_on        = [sluice_queue.a, sluice_queue.b]
}

data "sluice_tenant" "mine" {}
`
	url := func(name string) string { return s.Endpoint + "/" + s.AccountID + "/" + name }
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		CheckDestroy:             checkQueuesGone(s, "acc-ds-a", "acc-ds-b"),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("sluice_queue.a", tfjsonpath.New("account"), knownvalue.StringExact(s.AccountID)),
				statecheck.ExpectKnownValue("data.sluice_queue.a", tfjsonpath.New("url"), knownvalue.StringExact(url("acc-ds-a"))),
				statecheck.ExpectKnownValue("data.sluice_queue.a", tfjsonpath.New("visibility_timeout_seconds"), knownvalue.Int64Exact(30)),
				statecheck.ExpectKnownValue("data.sluice_queue.a", tfjsonpath.New("tags"), knownvalue.MapExact(map[string]knownvalue.Check{"k": knownvalue.StringExact("v")})),
				statecheck.ExpectKnownValue("data.sluice_queues.ds", tfjsonpath.New("queue_urls"),
					knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(url("acc-ds-a")), knownvalue.StringExact(url("acc-ds-b"))})),
				statecheck.ExpectKnownValue("data.sluice_tenant.mine", tfjsonpath.New("account_id"), knownvalue.StringExact(s.AccountID)),
			},
		}},
	})
}

func TestAccProviderConfigErrors(t *testing.T) {
	s := accServer(t)
	queue := "\nresource \"sluice_queue\" \"q\" {\n  name = \"acc-never\"\n}\n"
	for _, tc := range []struct {
		name, config string
		want         *regexp.Regexp
	}{
		{"bad token", providerConfig(s, "not-a-token", ""), regexp.MustCompile(`Invalid Sluice token`)},
		{"forbidden account", providerConfig(s, tenantAdminToken(t, s), "999999999999"), regexp.MustCompile(`Forbidden Sluice account`)},
		{"unreachable endpoint", `provider "sluice" {
  endpoint = "http://127.0.0.1:1"
  token    = "x"
}
`, regexp.MustCompile(`Cannot reach Sluice server`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: factories(),
				Steps:                    []resource.TestStep{{Config: tc.config + queue, PlanOnly: true, ExpectError: tc.want}},
			})
		})
	}
}
