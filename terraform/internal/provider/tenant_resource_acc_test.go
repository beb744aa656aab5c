package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/sdk/client"
	"github.com/sluice-mq/sluice/terraform/internal/sluicedev"
)

const accTenant = "777788889999"

func tenantConfig(s *sluicedev.Server, plan, status, keyStatus, rotation string) string {
	return providerConfig(s, s.OperatorToken, "") + fmt.Sprintf(`
resource "sluice_tenant" "t" {
  account_id = %q
  name       = "acc tenant"
  plan       = %q
  status     = %q
  quotas {
    max_queues      = 5
    send_per_second = 12.5
  }
}

resource "sluice_access_key" "k" {
  account = sluice_tenant.t.account_id
  status  = %q
  keepers = { rotation = %q }
  lifecycle {
    create_before_destroy = true
  }
}

data "sluice_tenant" "t" {
  account_id = sluice_tenant.t.account_id
}
`, accTenant, plan, status, keyStatus, rotation)
}

func TestAccTenantAndAccessKey(t *testing.T) {
	s := accServer(t)
	keyID := statecheck.CompareValue(compare.ValuesDiffer())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		CheckDestroy:             checkTenantGone(s, accTenant),
		Steps: []resource.TestStep{
			{
				Config: tenantConfig(s, "free", "active", "active", "1"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("sluice_tenant.t", tfjsonpath.New("effective_quotas").AtMapKey("max_queues"), knownvalue.Int64Exact(5)),
					statecheck.ExpectKnownValue("data.sluice_tenant.t", tfjsonpath.New("plan"), knownvalue.StringExact("free")),
					statecheck.ExpectSensitiveValue("sluice_access_key.k", tfjsonpath.New("secret_access_key")),
					statecheck.ExpectKnownValue("sluice_access_key.k", tfjsonpath.New("secret_access_key"), knownvalue.NotNull()),
					keyID.AddStateValue("sluice_access_key.k", tfjsonpath.New("access_key_id")),
				},
			},
			{ // plan, status and key status change in place
				Config: tenantConfig(s, "standard", "suspended", "inactive", "1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sluice_tenant.t", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("sluice_access_key.k", plancheck.ResourceActionUpdate),
				}},
				Check: checkTenant(s, accTenant, func(t api.Tenant) error {
					if t.Plan != api.PlanStandard || t.Status != api.TenantSuspended {
						return fmt.Errorf("tenant plan %s, status %s; want standard, suspended", t.Plan, t.Status)
					}
					return nil
				}),
			},
			{ // rotation: the new key exists before the old one is deleted
				Config: tenantConfig(s, "standard", "active", "active", "2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("sluice_access_key.k", plancheck.ResourceActionCreateBeforeDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					keyID.AddStateValue("sluice_access_key.k", tfjsonpath.New("access_key_id")),
				},
				Check: checkOneKey(s, accTenant),
			},
			{
				ResourceName:      "sluice_tenant.t",
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				ResourceName:            "sluice_access_key.k",
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"secret_access_key", "keepers"}, // shown once; Terraform-only
			},
		},
	})
}

func checkTenant(s *sluicedev.Server, account string, check func(api.Tenant) error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		t, err := operatorClient(s).GetTenant(context.Background(), account)
		if err != nil {
			return err
		}
		return check(t)
	}
}

// checkOneKey checks that the account has exactly one key, the one in
// state: the rotated-out key is gone.
func checkOneKey(s *sluicedev.Server, account string) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		keys, err := operatorClient(s).ListAccessKeys(context.Background(), account)
		if err != nil {
			return err
		}
		inState := st.RootModule().Resources["sluice_access_key.k"].Primary.Attributes["access_key_id"]
		if len(keys) != 1 || keys[0].AccessKeyID != inState {
			return fmt.Errorf("account %s has keys %+v, want only %s", account, keys, inState)
		}
		return nil
	}
}

// checkTenantGone accepts a tenant being deleted: deletion finishes in
// the background.
func checkTenantGone(s *sluicedev.Server, account string) func(*terraform.State) error {
	return func(*terraform.State) error {
		t, err := operatorClient(s).GetTenant(context.Background(), account)
		if client.IsNotFound(err) || (err == nil && t.Status == api.TenantDeleting) {
			return nil
		}
		return fmt.Errorf("tenant %s still there: %+v (err %v)", account, t, err)
	}
}
