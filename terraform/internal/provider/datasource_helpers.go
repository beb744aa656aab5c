package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// dataSourceAccount is the account a data source reads: its own account
// argument, else the provider's.
func dataSourceAccount(pd *providerData, configured types.String, attr string, diags *diag.Diagnostics) string {
	if known(configured) {
		return configured.ValueString()
	}
	if pd.account == "" {
		diags.AddAttributeError(path.Root(attr), "No account to read",
			"Set "+attr+", or account in the provider \"sluice\" block.")
	}
	return pd.account
}

// notConfigured reports a data source read before the provider was
// configured, which Terraform does not do.
func notConfigured(pd *providerData, diags *diag.Diagnostics) bool {
	if pd == nil {
		diags.AddError("Provider not configured", "The sluice provider was not configured. This is a bug in the provider.")
		return true
	}
	return false
}
