package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sluice-mq/sluice/sdk/api"
)

// topicResource is sluice_topic: an SNS-compatible topic, with the
// arguments of the AWS provider's aws_sns_topic that Sluice serves.
type topicResource struct {
	pd *providerData
}

var (
	_ resource.ResourceWithConfigure   = (*topicResource)(nil)
	_ resource.ResourceWithImportState = (*topicResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*topicResource)(nil)
)

func newTopicResource() resource.Resource { return &topicResource{} }

// topicModel is sluice_topic's state.
type topicModel struct {
	ID                        types.String `tfsdk:"id"`
	Account                   types.String `tfsdk:"account"`
	Name                      types.String `tfsdk:"name"`
	ARN                       types.String `tfsdk:"arn"`
	DisplayName               types.String `tfsdk:"display_name"`
	FifoTopic                 types.Bool   `tfsdk:"fifo_topic"`
	ContentBasedDeduplication types.Bool   `tfsdk:"content_based_deduplication"`
	Tags                      types.Map    `tfsdk:"tags"`
}

func (r *topicResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_topic"
}

func (r *topicResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = configureFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *topicResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	planDefaultAccount(ctx, r.pd, req, resp)
}

func (r *topicResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A topic of a Sluice tenant (SNS-compatible: publish once, every matching subscription gets " +
			"the message), with the arguments of the AWS provider's aws_sns_topic that Sluice serves. " +
			"Managed through the control plane with a token, not SigV4 keys.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Description:   "The topic's ARN, as arn.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"account": schema.StringAttribute{
				Description: "12-digit account id of the tenant owning the topic. Defaults to the provider's account. " +
					"Changing it replaces the topic.",
				Optional: true,
				Computed: true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace(),
				},
				Validators: []validator.String{accountIDValidator()},
			},
			"name": schema.StringAttribute{
				Description: "The topic's name: 1 to 256 letters, digits, hyphens and underscores; a FIFO topic's name " +
					"ends in .fifo. Changing it replaces the topic.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{stringvalidator.RegexMatches(topicNameRe,
					"must be 1 to 256 letters, digits, hyphens and underscores, optionally ending in .fifo")},
			},
			"arn": schema.StringAttribute{
				Description:   "The topic's ARN, arn:aws:sns:{region}:{account}:{name}.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"display_name": schema.StringAttribute{
				Description: "The topic's display name, at most 100 characters.",
				Optional:    true,
				Validators:  []validator.String{stringvalidator.LengthBetween(1, 100)},
			},
			"fifo_topic": schema.BoolAttribute{
				Description: "Whether the topic is a FIFO topic (its name must then end in .fifo): it delivers only " +
					"to FIFO queues, in group order, and drops duplicates within 5 minutes. Changing it replaces the topic.",
				Optional:      true,
				Computed:      true,
				Default:       booldefault.StaticBool(false),
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.RequiresReplace()},
			},
			"content_based_deduplication": schema.BoolAttribute{
				Description: "FIFO topics only: deduplicate on the SHA-256 of the body when a publish gives no " +
					"MessageDeduplicationId.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"tags": schema.MapAttribute{
				Description: "The topic's tags (at most 50).",
				ElementType: types.StringType,
				Optional:    true,
			},
		},
	}
}

func (m *topicModel) attributes() map[string]string {
	attrs := map[string]string{}
	if known(m.DisplayName) {
		attrs["DisplayName"] = m.DisplayName.ValueString()
	}
	if m.FifoTopic.ValueBool() {
		attrs["FifoTopic"] = "true"
		attrs["ContentBasedDeduplication"] = fmt.Sprint(m.ContentBasedDeduplication.ValueBool())
	}
	return attrs
}

// fromTopic fills m from the server's answer; no tags and none
// configured keep their prior spelling, so a plan after apply is empty.
func (m *topicModel) fromTopic(ctx context.Context, account string, t api.Topic, diags *diag.Diagnostics) {
	m.Account = types.StringValue(account)
	m.Name = types.StringValue(t.Name)
	m.ARN = types.StringValue(t.ARN)
	m.ID = m.ARN
	m.DisplayName = optionalString(t.Attributes["DisplayName"])
	m.FifoTopic = types.BoolValue(t.Attributes["FifoTopic"] == "true")
	m.ContentBasedDeduplication = types.BoolValue(t.Attributes["ContentBasedDeduplication"] == "true")
	if len(t.Tags) == 0 && m.Tags.IsNull() {
		m.Tags = types.MapNull(types.StringType)
		return
	}
	tags, d := types.MapValueFrom(ctx, types.StringType, t.Tags)
	diags.Append(d...)
	m.Tags = tags
}

func (r *topicResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan topicModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account := r.pd.accountFor(plan.Account, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	name := plan.Name.ValueString()
	t, err := r.pd.api.CreateTopic(ctx, account, api.CreateTopicRequest{
		Name: name, Attributes: plan.attributes(), Tags: tagsOf(ctx, plan.Tags, &resp.Diagnostics),
	})
	if err != nil {
		resp.Diagnostics.AddError("Cannot create topic "+name, errorHint(err))
		return
	}
	plan.fromTopic(ctx, account, t, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *topicResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state topicModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account, name := state.Account.ValueString(), state.Name.ValueString()
	t, err := r.pd.api.GetTopic(ctx, account, name)
	if isNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read topic "+name, errorHint(err))
		return
	}
	state.fromTopic(ctx, account, t, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *topicResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state topicModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account, name := state.Account.ValueString(), state.Name.ValueString()
	change := api.UpdateTopicRequest{Attributes: map[string]string{}}
	if !plan.DisplayName.Equal(state.DisplayName) {
		change.Attributes["DisplayName"] = plan.DisplayName.ValueString() // "" removes
	}
	if plan.FifoTopic.ValueBool() && !plan.ContentBasedDeduplication.Equal(state.ContentBasedDeduplication) {
		change.Attributes["ContentBasedDeduplication"] = fmt.Sprint(plan.ContentBasedDeduplication.ValueBool())
	}
	change.Tags, change.RemoveTags = tagChanges(tagsOf(ctx, plan.Tags, &resp.Diagnostics), tagsOf(ctx, state.Tags, &resp.Diagnostics))
	if resp.Diagnostics.HasError() {
		return
	}
	var t api.Topic
	var err error
	if len(change.Attributes) == 0 && len(change.Tags) == 0 && len(change.RemoveTags) == 0 {
		t, err = r.pd.api.GetTopic(ctx, account, name)
	} else {
		t, err = r.pd.api.UpdateTopic(ctx, account, name, change)
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot update topic "+name, errorHint(err))
		return
	}
	plan.fromTopic(ctx, account, t, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *topicResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state topicModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.pd.api.DeleteTopic(ctx, state.Account.ValueString(), state.Name.ValueString())
	if err != nil && !isNotFound(err) {
		resp.Diagnostics.AddError("Cannot delete topic "+state.Name.ValueString(), errorHint(err))
	}
}

// ImportState takes a topic ARN (as the AWS provider imports
// aws_sns_topic) or account/name.
func (r *topicResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importAccountAnd(ctx, req, resp, "name", parseTopicID)
}

// parseTopicID reads arn:aws:sns:{region}:{account}:{name} or
// {account}/{name}.
func parseTopicID(id string) (account, name string, err error) {
	if parts := strings.Split(id, ":"); len(parts) == 6 && parts[0] == "arn" && parts[2] == "sns" {
		account, name = parts[4], parts[5]
	} else if a, n, ok := strings.Cut(id, "/"); ok {
		account, name = a, n
	}
	if !accountIDRe.MatchString(account) || !topicNameRe.MatchString(name) {
		return "", "", fmt.Errorf("want a topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME) or ACCOUNT/NAME, got %q", id)
	}
	return account, name, nil
}
