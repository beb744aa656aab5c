package provider

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// queueDataSource is the sluice_queue data source: a queue by name, as
// the AWS provider's aws_sqs_queue data source reads one.
type queueDataSource struct {
	pd *providerData
}

var _ datasource.DataSourceWithConfigure = (*queueDataSource)(nil)

func newQueueDataSource() datasource.DataSource { return &queueDataSource{} }

type queueDataModel struct {
	ID                       types.String `tfsdk:"id"`
	Name                     types.String `tfsdk:"name"`
	Account                  types.String `tfsdk:"account"`
	ARN                      types.String `tfsdk:"arn"`
	URL                      types.String `tfsdk:"url"`
	FifoQueue                types.Bool   `tfsdk:"fifo_queue"`
	DelaySeconds             types.Int64  `tfsdk:"delay_seconds"`
	MaxMessageSize           types.Int64  `tfsdk:"max_message_size"`
	MessageRetentionSeconds  types.Int64  `tfsdk:"message_retention_seconds"`
	ReceiveWaitTimeSeconds   types.Int64  `tfsdk:"receive_wait_time_seconds"`
	VisibilityTimeoutSeconds types.Int64  `tfsdk:"visibility_timeout_seconds"`
	RedrivePolicy            types.String `tfsdk:"redrive_policy"`
	RedriveAllowPolicy       types.String `tfsdk:"redrive_allow_policy"`
	Policy                   types.String `tfsdk:"policy"`
	Tags                     types.Map    `tfsdk:"tags"`
	Tiering                  types.Object `tfsdk:"tiering"`
}

var tieringAttrTypes = map[string]attr.Type{"hot_window_seconds": types.Int64Type, "hot_bytes_budget": types.Int64Type}

func (d *queueDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_queue"
}

func (d *queueDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(description string) schema.StringAttribute {
		return schema.StringAttribute{Description: description, Computed: true}
	}
	computedInt := func(description string) schema.Int64Attribute {
		return schema.Int64Attribute{Description: description, Computed: true}
	}
	resp.Schema = schema.Schema{
		Description: "Reads a queue by name, as the AWS provider's aws_sqs_queue data source does.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{Description: "The queue's name.", Required: true},
			"account": schema.StringAttribute{
				Description: "12-digit account id of the tenant owning the queue. Defaults to the provider's account.",
				Optional:    true,
				Computed:    true,
			},
			"id":                         computed("The queue's URL, as url."),
			"arn":                        computed("The queue's ARN."),
			"url":                        computed("The queue's URL, {endpoint}/{account}/{name}."),
			"fifo_queue":                 schema.BoolAttribute{Description: "Whether the queue is a FIFO queue.", Computed: true},
			"delay_seconds":              computedInt("Seconds every message is delayed."),
			"max_message_size":           computedInt("Largest message in bytes."),
			"message_retention_seconds":  computedInt("Seconds a message is kept."),
			"receive_wait_time_seconds":  computedInt("Seconds a ReceiveMessage call waits for a message."),
			"visibility_timeout_seconds": computedInt("Seconds a received message stays invisible."),
			"redrive_policy":             computed("The dead-letter queue policy (JSON), empty when none."),
			"redrive_allow_policy":       computed("The redrive allow policy (JSON), empty when none."),
			"policy":                     computed("The access policy (JSON), empty when none."),
			"tags":                       schema.MapAttribute{Description: "Tags of the queue.", ElementType: types.StringType, Computed: true},
			"tiering": schema.SingleNestedAttribute{
				Description: "The queue's tiering settings.",
				Computed:    true,
				Attributes: map[string]schema.Attribute{
					"hot_window_seconds": computedInt("Seconds a body stays hot."),
					"hot_bytes_budget":   computedInt("Bytes of hot bodies the queue may keep."),
				},
			},
		},
	}
}

func (d *queueDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.pd = configureFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *queueDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if notConfigured(d.pd, &resp.Diagnostics) {
		return
	}
	var m queueDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	account := dataSourceAccount(d.pd, m.Account, "account", &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	name := m.Name.ValueString()
	q, err := d.pd.api.GetQueue(ctx, account, name)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read queue "+name+" of account "+account, errorHint(err))
		return
	}
	ints := map[string]*types.Int64{
		attrDelaySeconds: &m.DelaySeconds, attrMaxMessageSize: &m.MaxMessageSize, attrRetentionPeriod: &m.MessageRetentionSeconds,
		attrReceiveWaitTime: &m.ReceiveWaitTimeSeconds, attrVisibilityTimeout: &m.VisibilityTimeoutSeconds,
	}
	for a, v := range ints {
		n, err := strconv.ParseInt(q.Attributes[a], 10, 64)
		if err != nil {
			resp.Diagnostics.AddError("Unexpected queue attribute", "The server answered "+a+"="+strconv.Quote(q.Attributes[a])+".")
		}
		*v = types.Int64Value(n)
	}
	m.Account = types.StringValue(account)
	m.URL = types.StringValue(d.pd.queueURL(account, q.Name))
	m.ID = m.URL
	m.ARN = types.StringValue(q.ARN)
	m.FifoQueue = types.BoolValue(q.Attributes[attrFifoQueue] == "true")
	m.RedrivePolicy = types.StringValue(q.Attributes[attrRedrivePolicy])
	m.RedriveAllowPolicy = types.StringValue(q.Attributes[attrRedriveAllowPolicy])
	m.Policy = types.StringValue(q.Attributes[attrPolicy])
	tags, diags := types.MapValueFrom(ctx, types.StringType, q.Tags)
	resp.Diagnostics.Append(diags...)
	m.Tags = tags
	m.Tiering = types.ObjectValueMust(tieringAttrTypes, map[string]attr.Value{
		"hot_window_seconds": types.Int64Value(q.Tiering.HotWindowSeconds),
		"hot_bytes_budget":   types.Int64Value(q.Tiering.HotBytesBudget),
	})
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
