package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// serverDataSource exposes the server's health check (sluice_server), so a
// configuration can read or assert on the server version.
type serverDataSource struct {
	pd *providerData
}

var _ datasource.DataSourceWithConfigure = (*serverDataSource)(nil)

func newServerDataSource() datasource.DataSource {
	return &serverDataSource{}
}

type serverModel struct {
	Status  types.String `tfsdk:"status"`
	Version types.String `tfsdk:"version"`
}

func (d *serverDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_server"
}

func (d *serverDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Reads the health and version of the Sluice server the provider is configured for.",
		Attributes: map[string]schema.Attribute{
			"status": schema.StringAttribute{
				Description: "Health status reported by the server; \"ok\" when it is serving.",
				Computed:    true,
			},
			"version": schema.StringAttribute{
				Description: "Build version of the server.",
				Computed:    true,
			},
		},
	}
}

func (d *serverDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.pd = configureFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *serverDataSource) Read(ctx context.Context, _ datasource.ReadRequest, resp *datasource.ReadResponse) {
	if notConfigured(d.pd, &resp.Diagnostics) {
		return
	}
	health, err := d.pd.api.Health(ctx)
	if err != nil {
		resp.Diagnostics.AddError("Unable to read Sluice server health", err.Error())
		return
	}
	state := serverModel{
		Status:  types.StringValue(health.Status),
		Version: types.StringValue(health.Version),
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}
