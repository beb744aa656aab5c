package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// queuesDataSource is sluice_queues: a tenant's queues whose names start
// with a prefix, as the AWS provider's aws_sqs_queues.
type queuesDataSource struct {
	pd *providerData
}

var _ datasource.DataSourceWithConfigure = (*queuesDataSource)(nil)

func newQueuesDataSource() datasource.DataSource { return &queuesDataSource{} }

type queuesDataModel struct {
	ID              types.String `tfsdk:"id"`
	Account         types.String `tfsdk:"account"`
	QueueNamePrefix types.String `tfsdk:"queue_name_prefix"`
	Names           types.List   `tfsdk:"names"`
	QueueURLs       types.List   `tfsdk:"queue_urls"`
}

// listPageSize is the page size of list calls: the server's largest.
const listPageSize = 1000

func (d *queuesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_queues"
}

func (d *queuesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Lists a tenant's queues, optionally those whose names start with a prefix, " +
			"as the AWS provider's aws_sqs_queues data source does.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Description: "account/queue_name_prefix.", Computed: true},
			"account": schema.StringAttribute{
				Description: "12-digit account id of the tenant. Defaults to the provider's account.",
				Optional:    true,
				Computed:    true,
			},
			"queue_name_prefix": schema.StringAttribute{Description: "Only queues whose names start with this prefix. Default: all.", Optional: true},
			"names":             schema.ListAttribute{Description: "The queues' names, in name order.", ElementType: types.StringType, Computed: true},
			"queue_urls":        schema.ListAttribute{Description: "The queues' URLs, in name order.", ElementType: types.StringType, Computed: true},
		},
	}
}

func (d *queuesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.pd = configureFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *queuesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if notConfigured(d.pd, &resp.Diagnostics) {
		return
	}
	var m queuesDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	account := dataSourceAccount(d.pd, m.Account, "account", &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	prefix := m.QueueNamePrefix.ValueString()
	names, urls := []string{}, []string{}
	for name, err := range d.pd.api.ListQueues(ctx, account, prefix, listPageSize) {
		if err != nil {
			resp.Diagnostics.AddError("Cannot list the queues of account "+account, errorHint(err))
			return
		}
		names = append(names, name)
		urls = append(urls, d.pd.queueURL(account, name))
	}
	m.ID = types.StringValue(account + "/" + prefix)
	m.Account = types.StringValue(account)
	var diags, more = types.ListValueFrom(ctx, types.StringType, names)
	m.Names = diags
	resp.Diagnostics.Append(more...)
	m.QueueURLs, more = types.ListValueFrom(ctx, types.StringType, urls)
	resp.Diagnostics.Append(more...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
