package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sluice-mq/sluice/sdk/api"
)

// tenantResource is sluice_tenant: an account, for operators.
type tenantResource struct {
	pd *providerData
}

var (
	_ resource.ResourceWithConfigure   = (*tenantResource)(nil)
	_ resource.ResourceWithImportState = (*tenantResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*tenantResource)(nil)
)

func newTenantResource() resource.Resource { return &tenantResource{} }

func (r *tenantResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tenant"
}

func (r *tenantResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	quotas := map[string]schema.Attribute{}
	computedQuotas := map[string]schema.Attribute{}
	for name, typ := range quotasAttrTypes {
		if typ == types.Float64Type {
			quotas[name] = schema.Float64Attribute{Description: quotaDescriptions[name], Optional: true,
				Validators: []validator.Float64{float64validator.AtLeast(0)}}
			computedQuotas[name] = schema.Float64Attribute{Description: quotaDescriptions[name], Computed: true}
		} else {
			quotas[name] = schema.Int64Attribute{Description: quotaDescriptions[name], Optional: true,
				Validators: []validator.Int64{int64validator.AtLeast(0)}}
			computedQuotas[name] = schema.Int64Attribute{Description: quotaDescriptions[name], Computed: true}
		}
	}
	resp.Schema = schema.Schema{
		Description: "A tenant: an account with its own queues, access keys, plan and quotas. Needs an operator token. " +
			"Destroying it stops its keys at once and removes its queues and messages in the background.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Description:   "The account id, as account_id.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"account_id": schema.StringAttribute{
				Description: "12-digit account id; generated when not set. Changing it replaces the tenant.",
				Optional:    true,
				Computed:    true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace(),
				},
				Validators: []validator.String{accountIDValidator()},
			},
			"name": schema.StringAttribute{
				Description:   "A name for people, at most 80 characters. Changing it replaces the tenant.",
				Optional:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{stringvalidator.LengthBetween(1, 80)},
			},
			"plan": schema.StringAttribute{
				Description: "The plan whose quotas apply: free, standard or large. Defaults to standard.",
				Optional:    true,
				Computed:    true,
				Default:     stringdefault.StaticString(string(api.DefaultPlan)),
				Validators:  []validator.String{stringvalidator.OneOf(string(api.PlanFree), string(api.PlanStandard), string(api.PlanLarge))},
			},
			"status": schema.StringAttribute{
				Description: "active, or suspended: a suspended tenant's SQS calls are refused (AccessDenied). Defaults to active.",
				Optional:    true,
				Computed:    true,
				Default:     stringdefault.StaticString(string(api.TenantActive)),
				Validators:  []validator.String{stringvalidator.OneOf(string(api.TenantActive), string(api.TenantSuspended))},
			},
			"effective_quotas": schema.SingleNestedAttribute{
				Description:   "The quotas enforced: the plan's, with the overrides.",
				Computed:      true,
				Attributes:    computedQuotas,
				PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()},
			},
			"created_at": schema.StringAttribute{
				Description:   "When the tenant was created (RFC 3339).",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
		Blocks: map[string]schema.Block{
			"quotas": schema.SingleNestedBlock{
				Description: "Overrides of the plan's quotas; a quota left out is the plan's.",
				Attributes:  quotas,
			},
		},
	}
}

func (r *tenantResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = configureFrom(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan leaves the effective quotas unknown when the plan or the
// overrides change, and keeps them otherwise.
func (r *tenantResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var plan, state tenantModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.Plan.Equal(state.Plan) || plan.Quotas.toQuotas() != state.Quotas.toQuotas() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("effective_quotas"), types.ObjectUnknown(quotasAttrTypes))...)
	}
}

func (r *tenantResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan tenantModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	in := api.CreateTenantRequest{
		Name:   plan.Name.ValueString(),
		Plan:   api.Plan(plan.Plan.ValueString()),
		Quotas: plan.Quotas.toQuotas(),
	}
	if known(plan.AccountID) {
		in.AccountID = plan.AccountID.ValueString()
	}
	t, err := r.pd.api.CreateTenant(ctx, in)
	if err != nil {
		resp.Diagnostics.AddError("Cannot create tenant", errorHint(err))
		return
	}
	want := plan.Status.ValueString()
	t, err = r.setStatus(ctx, t, want)
	plan.fromTenant(t)
	// Saved even when suspending failed, so Terraform knows the tenant.
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if err != nil {
		resp.Diagnostics.AddError("Cannot set the status of tenant "+t.AccountID+" to "+want, errorHint(err))
	}
}

// setStatus suspends or resumes t to the status want, if it differs.
func (r *tenantResource) setStatus(ctx context.Context, t api.Tenant, want string) (api.Tenant, error) {
	switch {
	case string(t.Status) == want:
		return t, nil
	case want == string(api.TenantSuspended):
		return r.pd.api.SuspendTenant(ctx, t.AccountID)
	default:
		return r.pd.api.ResumeTenant(ctx, t.AccountID)
	}
}

func (r *tenantResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state tenantModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	t, err := r.pd.api.GetTenant(ctx, state.AccountID.ValueString())
	if isNotFound(err) || (err == nil && t.Status == api.TenantDeleting) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read tenant "+state.AccountID.ValueString(), errorHint(err))
		return
	}
	state.fromTenant(t)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *tenantResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state tenantModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account := state.AccountID.ValueString()
	t, err := r.pd.api.GetTenant(ctx, account)
	if err == nil && (!plan.Plan.Equal(state.Plan) || plan.Quotas.toQuotas() != state.Quotas.toQuotas()) {
		p, q := api.Plan(plan.Plan.ValueString()), plan.Quotas.toQuotas()
		t, err = r.pd.api.UpdateTenant(ctx, account, api.UpdateTenantRequest{Plan: &p, Quotas: &q})
	}
	if err == nil {
		t, err = r.setStatus(ctx, t, plan.Status.ValueString())
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot update tenant "+account, errorHint(err))
		return
	}
	plan.fromTenant(t)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *tenantResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state tenantModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if _, err := r.pd.api.DeleteTenant(ctx, state.AccountID.ValueString()); err != nil && !isNotFound(err) {
		resp.Diagnostics.AddError("Cannot delete tenant "+state.AccountID.ValueString(), errorHint(err))
	}
}

// ImportState takes the account id.
func (r *tenantResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !accountIDRe.MatchString(req.ID) {
		resp.Diagnostics.AddError("Invalid import id", "want a 12-digit account id, got "+req.ID)
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("account_id"), types.StringValue(req.ID))...)
}
