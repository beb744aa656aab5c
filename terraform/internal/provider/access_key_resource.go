package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sluice-mq/sluice/sdk/api"
)

// accessKeyResource is sluice_access_key: an SQS credential (SigV4 key
// pair) of a tenant. The server shows the secret only when it creates the
// key, so the secret lives in state, marked sensitive.
type accessKeyResource struct {
	pd *providerData
}

var (
	_ resource.ResourceWithConfigure   = (*accessKeyResource)(nil)
	_ resource.ResourceWithImportState = (*accessKeyResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*accessKeyResource)(nil)
)

func newAccessKeyResource() resource.Resource { return &accessKeyResource{} }

type accessKeyModel struct {
	ID              types.String `tfsdk:"id"`
	Account         types.String `tfsdk:"account"`
	Status          types.String `tfsdk:"status"`
	Keepers         types.Map    `tfsdk:"keepers"`
	AccessKeyID     types.String `tfsdk:"access_key_id"`
	SecretAccessKey types.String `tfsdk:"secret_access_key"`
	CreatedAt       types.String `tfsdk:"created_at"`
}

func (r *accessKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_access_key"
}

func (r *accessKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	computed := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Description: description, Computed: true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
	}
	secret := computed("The secret access key. Only the reply that creates a key has it, so it is kept in state " +
		"(sensitive); an imported key has none.")
	secret.Sensitive = true
	resp.Schema = schema.Schema{
		Description: "An access key of a tenant: the key pair SQS clients sign requests with (SigV4). " +
			"To rotate without downtime, change keepers with lifecycle { create_before_destroy = true }: " +
			"the new key is created, and its dependents updated, before the old one is deleted.",
		Attributes: map[string]schema.Attribute{
			"id": computed("account/access_key_id."),
			"account": schema.StringAttribute{
				Description: "12-digit account id of the tenant. Defaults to the provider's account. Changing it replaces the key.",
				Optional:    true,
				Computed:    true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace(),
				},
				Validators: []validator.String{accountIDValidator()},
			},
			"status": schema.StringAttribute{
				Description: "active, or inactive: an inactive key's requests are refused (InvalidClientTokenId). Defaults to active.",
				Optional:    true,
				Computed:    true,
				Default:     stringdefault.StaticString(string(api.KeyActive)),
				Validators:  []validator.String{stringvalidator.OneOf(string(api.KeyActive), string(api.KeyInactive))},
			},
			"keepers": schema.MapAttribute{
				Description: "Arbitrary values; changing any replaces the key with a new one (rotation). " +
					"For example { rotated = \"2026-01\" }.",
				ElementType:   types.StringType,
				Optional:      true,
				PlanModifiers: []planmodifier.Map{mapplanmodifier.RequiresReplace()},
			},
			"access_key_id":     computed("The access key id (AWS_ACCESS_KEY_ID)."),
			"secret_access_key": secret,
			"created_at":        computed("When the key was created (RFC 3339)."),
		},
	}
}

func (r *accessKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = configureFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *accessKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	planDefaultAccount(ctx, r.pd, req, resp)
}

func (m *accessKeyModel) fromKey(k api.AccessKey) {
	m.ID = types.StringValue(k.AccountID + "/" + k.AccessKeyID)
	m.Account = types.StringValue(k.AccountID)
	m.AccessKeyID = types.StringValue(k.AccessKeyID)
	m.Status = types.StringValue(string(k.Status))
	m.CreatedAt = types.StringValue(k.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00"))
	if k.SecretAccessKey != "" {
		m.SecretAccessKey = types.StringValue(k.SecretAccessKey)
	} else if m.SecretAccessKey.IsUnknown() {
		m.SecretAccessKey = types.StringNull()
	}
}

func (r *accessKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan accessKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account := r.pd.accountFor(plan.Account, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	k, err := r.pd.api.CreateAccessKey(ctx, account)
	if err != nil {
		resp.Diagnostics.AddError("Cannot create an access key for account "+account, errorHint(err))
		return
	}
	want := plan.Status.ValueString()
	plan.fromKey(k)
	if want != string(k.Status) {
		var updated api.AccessKey
		updated, err = r.pd.api.UpdateAccessKey(ctx, account, k.AccessKeyID, api.UpdateAccessKeyRequest{Status: api.KeyStatus(want)})
		if err == nil {
			plan.fromKey(updated)
		}
	}
	// Saved even when the status change failed: the secret is shown once.
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if err != nil {
		resp.Diagnostics.AddError("Cannot set the status of access key "+k.AccessKeyID, errorHint(err))
	}
}

func (r *accessKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state accessKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account, id := state.Account.ValueString(), state.AccessKeyID.ValueString()
	keys, err := r.pd.api.ListAccessKeys(ctx, account)
	if isNotFound(err) {
		resp.State.RemoveResource(ctx) // the tenant is gone, and its keys with it
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the access keys of account "+account, errorHint(err))
		return
	}
	for _, k := range keys {
		if k.AccessKeyID == id {
			state.fromKey(k)
			resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
			return
		}
	}
	resp.State.RemoveResource(ctx)
}

func (r *accessKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state accessKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account, id := state.Account.ValueString(), state.AccessKeyID.ValueString()
	k, err := r.pd.api.UpdateAccessKey(ctx, account, id, api.UpdateAccessKeyRequest{Status: api.KeyStatus(plan.Status.ValueString())})
	if err != nil {
		resp.Diagnostics.AddError("Cannot update access key "+id, errorHint(err))
		return
	}
	plan.fromKey(k)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *accessKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state accessKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.AccessKeyID.ValueString()
	if err := r.pd.api.DeleteAccessKey(ctx, state.Account.ValueString(), id); err != nil && !isNotFound(err) {
		resp.Diagnostics.AddError("Cannot delete access key "+id, errorHint(err))
	}
}

// ImportState takes account/keyid. The secret cannot be read back, so an
// imported key has none in state.
func (r *accessKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importAccountAnd(ctx, req, resp, "access_key_id", parseAccessKeyID)
}
