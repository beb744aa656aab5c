package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sluice-mq/sluice/sdk/api"
)

// queueAttributeResource manages one JSON attribute of a queue on its
// own, as aws_sqs_queue_redrive_policy and its siblings do: two queues can
// then point at each other (a source at its dead-letter queue, the
// dead-letter queue's allow policy at the source) without a dependency
// cycle. Destroying it removes the attribute; the queue stays.
type queueAttributeResource struct {
	pd          *providerData
	typeSuffix  string // "_queue_redrive_policy"
	argument    string // "redrive_policy"
	sqsAttr     string // "RedrivePolicy"
	description string
}

var (
	_ resource.ResourceWithConfigure   = (*queueAttributeResource)(nil)
	_ resource.ResourceWithImportState = (*queueAttributeResource)(nil)
)

func newQueueRedrivePolicyResource() resource.Resource {
	return &queueAttributeResource{typeSuffix: "_queue_redrive_policy", argument: "redrive_policy", sqsAttr: attrRedrivePolicy,
		description: "The dead-letter queue policy of a queue, as JSON: jsonencode({ deadLetterTargetArn = ..., maxReceiveCount = 5 })."}
}

func newQueueRedriveAllowPolicyResource() resource.Resource {
	return &queueAttributeResource{typeSuffix: "_queue_redrive_allow_policy", argument: "redrive_allow_policy", sqsAttr: attrRedriveAllowPolicy,
		description: "Which source queues may use the queue as their dead-letter queue, as JSON: " +
			"jsonencode({ redrivePermission = \"byQueue\", sourceQueueArns = [...] }), or allowAll or denyAll."}
}

func newQueuePolicyResource() resource.Resource {
	return &queueAttributeResource{typeSuffix: "_queue_policy", argument: "policy", sqsAttr: attrPolicy,
		description: "The access policy of a queue, as JSON. Stored and returned as SQS does; Sluice tenants are isolated, " +
			"so it grants nothing to other accounts."}
}

type queueAttributeModel struct {
	ID       types.String `tfsdk:"id"`
	QueueURL types.String `tfsdk:"queue_url"`
	Value    jsonString   `tfsdk:"-"`
}

func (r *queueAttributeResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + r.typeSuffix
}

func (r *queueAttributeResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Sets the " + r.sqsAttr + " attribute of a queue, apart from its sluice_queue, as the AWS provider's " +
			"aws_sqs" + r.typeSuffix + " does. Destroying it removes the attribute.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Description:   "The queue's URL, as queue_url.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"queue_url": schema.StringAttribute{
				Description:   "URL of the queue ({endpoint}/{account}/{name}, e.g. sluice_queue.q.url). Changing it replaces the resource.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			r.argument: schema.StringAttribute{
				Description:   r.description + " Compared as JSON, so key order and whitespace make no diff.",
				CustomType:    jsonStringType{},
				Required:      true,
				PlanModifiers: []planmodifier.String{keepSemanticallyEqualJSON{}},
			},
		},
	}
}

func (r *queueAttributeResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = configureFrom(req.ProviderData, &resp.Diagnostics)
}

// The JSON argument's name differs per resource, so the model is read
// attribute by attribute instead of through struct tags.
func (r *queueAttributeResource) get(ctx context.Context, getter interface {
	GetAttribute(context.Context, path.Path, any) diag.Diagnostics
}) (queueAttributeModel, diag.Diagnostics) {
	var m queueAttributeModel
	var diags diag.Diagnostics
	diags.Append(getter.GetAttribute(ctx, path.Root("id"), &m.ID)...)
	diags.Append(getter.GetAttribute(ctx, path.Root("queue_url"), &m.QueueURL)...)
	diags.Append(getter.GetAttribute(ctx, path.Root(r.argument), &m.Value)...)
	return m, diags
}

func (r *queueAttributeResource) set(ctx context.Context, setter interface {
	SetAttribute(context.Context, path.Path, any) diag.Diagnostics
}, m queueAttributeModel) diag.Diagnostics {
	var diags diag.Diagnostics
	diags.Append(setter.SetAttribute(ctx, path.Root("id"), m.ID)...)
	diags.Append(setter.SetAttribute(ctx, path.Root("queue_url"), m.QueueURL)...)
	diags.Append(setter.SetAttribute(ctx, path.Root(r.argument), m.Value)...)
	return diags
}

func (r *queueAttributeResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.apply(ctx, req.Plan, &resp.State, &resp.Diagnostics)
}

func (r *queueAttributeResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.apply(ctx, req.Plan, &resp.State, &resp.Diagnostics)
}

// apply writes the planned value to the queue and records it: creating and
// updating the attribute are the same act.
func (r *queueAttributeResource) apply(ctx context.Context, plan tfsdk.Plan, state *tfsdk.State, diags *diag.Diagnostics) {
	m, d := r.get(ctx, &plan)
	diags.Append(d...)
	if diags.HasError() {
		return
	}
	r.write(ctx, m, diags)
	if diags.HasError() {
		return
	}
	m.ID = m.QueueURL
	diags.Append(r.set(ctx, state, m)...)
}

// write sets the attribute on the queue; the server answers the queue,
// so a value it refuses fails here, at apply.
func (r *queueAttributeResource) write(ctx context.Context, m queueAttributeModel, diags *diag.Diagnostics) {
	account, name, err := parseQueueID(m.QueueURL.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("queue_url"), "Invalid queue URL", err.Error())
		return
	}
	_, err = r.pd.api.UpdateQueue(ctx, account, name, api.UpdateQueueRequest{
		Attributes: map[string]string{r.sqsAttr: m.Value.ValueString()},
	})
	if err != nil {
		diags.AddError("Cannot set "+r.sqsAttr+" of queue "+name, errorHint(err))
	}
}

func (r *queueAttributeResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	state, diags := r.get(ctx, &req.State)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	account, name, err := parseQueueID(state.QueueURL.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("queue_url"), "Invalid queue URL", err.Error())
		return
	}
	q, err := r.pd.api.GetQueue(ctx, account, name)
	if isNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read queue "+name, errorHint(err))
		return
	}
	value := q.Attributes[r.sqsAttr]
	if value == "" {
		// Removed out of band: planning to set it again is the fix.
		resp.State.RemoveResource(ctx)
		return
	}
	state.ID = state.QueueURL
	state.Value = newJSONString(value)
	resp.Diagnostics.Append(r.set(ctx, &resp.State, state)...)
}

func (r *queueAttributeResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	state, diags := r.get(ctx, &req.State)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	account, name, err := parseQueueID(state.QueueURL.ValueString())
	if err != nil {
		return // nothing Terraform could have created
	}
	_, err = r.pd.api.UpdateQueue(ctx, account, name, api.UpdateQueueRequest{Attributes: map[string]string{r.sqsAttr: ""}})
	if err != nil && !isNotFound(err) {
		resp.Diagnostics.AddError("Cannot remove "+r.sqsAttr+" of queue "+name, errorHint(err))
	}
}

// ImportState takes the queue's URL (or account/name).
func (r *queueAttributeResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if _, _, err := parseQueueID(req.ID); err != nil {
		resp.Diagnostics.AddError("Invalid import id", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("queue_url"), types.StringValue(req.ID))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), types.StringValue(req.ID))...)
}
