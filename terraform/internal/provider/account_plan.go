package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// planDefaultAccount plans the provider's account for a resource whose
// account argument is left out, so the plan shows it (and a later change
// of the provider's account is not mistaken for the resource's).
func planDefaultAccount(ctx context.Context, pd *providerData, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if pd == nil || req.Plan.Raw.IsNull() {
		return // not configured yet, or a destroy
	}
	var account types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("account"), &account)...)
	if resp.Diagnostics.HasError() || !account.IsUnknown() {
		return
	}
	var configured types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("account"), &configured)...)
	if configured.IsUnknown() {
		return // from another resource; known at apply
	}
	if pd.account == "" {
		resp.Diagnostics.AddAttributeError(path.Root("account"), "No account to act on",
			"Set the account argument, or account in the provider \"sluice\" block. An operator token manages "+
				"every tenant, so the provider cannot guess which one is meant.")
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("account"), types.StringValue(pd.account))...)
}
