package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// tenantDataSource is sluice_tenant: a tenant by account id. A
// tenant-admin token reads its own.
type tenantDataSource struct {
	pd *providerData
}

var _ datasource.DataSourceWithConfigure = (*tenantDataSource)(nil)

func newTenantDataSource() datasource.DataSource { return &tenantDataSource{} }

type tenantDataModel struct {
	ID              types.String `tfsdk:"id"`
	AccountID       types.String `tfsdk:"account_id"`
	Name            types.String `tfsdk:"name"`
	Plan            types.String `tfsdk:"plan"`
	Status          types.String `tfsdk:"status"`
	Quotas          types.Object `tfsdk:"quotas"`
	EffectiveQuotas types.Object `tfsdk:"effective_quotas"`
	CreatedAt       types.String `tfsdk:"created_at"`
}

func (d *tenantDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tenant"
}

func (d *tenantDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	quotas := func(description string) schema.SingleNestedAttribute {
		attrs := map[string]schema.Attribute{}
		for name, typ := range quotasAttrTypes {
			if typ == types.Float64Type {
				attrs[name] = schema.Float64Attribute{Description: quotaDescriptions[name], Computed: true}
			} else {
				attrs[name] = schema.Int64Attribute{Description: quotaDescriptions[name], Computed: true}
			}
		}
		return schema.SingleNestedAttribute{Description: description, Computed: true, Attributes: attrs}
	}
	computed := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Description: description, Computed: true}
	}
	resp.Schema = schema.Schema{
		Description: "Reads a tenant: its plan, status and quotas.",
		Attributes: map[string]schema.Attribute{
			"account_id": schema.StringAttribute{
				Description: "12-digit account id. Defaults to the provider's account.",
				Optional:    true,
				Computed:    true,
			},
			"id":               computed("The account id."),
			"name":             computed("The tenant's name, empty when it has none."),
			"plan":             computed("The tenant's plan: free, standard or large."),
			"status":           computed("active, suspended or deleting."),
			"quotas":           quotas("Overrides of the plan's quotas; null fields are the plan's."),
			"effective_quotas": quotas("The quotas enforced: the plan's, with the overrides."),
			"created_at":       computed("When the tenant was created (RFC 3339)."),
		},
	}
}

func (d *tenantDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.pd = configureFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *tenantDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if notConfigured(d.pd, &resp.Diagnostics) {
		return
	}
	var m tenantDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	account := dataSourceAccount(d.pd, m.AccountID, "account_id", &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	t, err := d.pd.api.GetTenant(ctx, account)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read tenant "+account, errorHint(err))
		return
	}
	var full tenantModel
	full.fromTenant(t)
	m.ID, m.AccountID, m.Plan, m.Status, m.CreatedAt = full.ID, full.AccountID, full.Plan, full.Status, full.CreatedAt
	m.Name = types.StringValue(t.Name)
	m.Quotas = quotasObject(t.Quotas)
	m.EffectiveQuotas = full.EffectiveQuotas
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
