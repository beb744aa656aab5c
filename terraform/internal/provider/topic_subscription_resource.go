package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sluice-mq/sluice/sdk/api"
)

// topicSubscriptionResource is sluice_topic_subscription: a queue's
// subscription to a topic, with the arguments of the AWS provider's
// aws_sns_topic_subscription that Sluice serves, plus CMQ's filters.
type topicSubscriptionResource struct {
	pd *providerData
}

var (
	_ resource.ResourceWithConfigure   = (*topicSubscriptionResource)(nil)
	_ resource.ResourceWithImportState = (*topicSubscriptionResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*topicSubscriptionResource)(nil)
)

func newTopicSubscriptionResource() resource.Resource { return &topicSubscriptionResource{} }

// topicSubscriptionModel is sluice_topic_subscription's state.
type topicSubscriptionModel struct {
	ID                 types.String `tfsdk:"id"`
	Account            types.String `tfsdk:"account"`
	Topic              types.String `tfsdk:"topic"`
	Protocol           types.String `tfsdk:"protocol"`
	Endpoint           types.String `tfsdk:"endpoint"`
	ARN                types.String `tfsdk:"arn"`
	SubscriptionID     types.String `tfsdk:"subscription_id"`
	RawMessageDelivery types.Bool   `tfsdk:"raw_message_delivery"`
	FilterPolicy       jsonString   `tfsdk:"filter_policy"`
	FilterPolicyScope  types.String `tfsdk:"filter_policy_scope"`
	FilterTags         types.List   `tfsdk:"filter_tags"`
	BindingKeys        types.List   `tfsdk:"binding_keys"`
}

func (r *topicSubscriptionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_topic_subscription"
}

func (r *topicSubscriptionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = configureFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *topicSubscriptionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	planDefaultAccount(ctx, r.pd, req, resp)
}

func (r *topicSubscriptionResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	cmqList := func(desc string, each validator.String) schema.ListAttribute {
		return schema.ListAttribute{
			Description: desc,
			ElementType: types.StringType,
			Optional:    true,
			Validators:  []validator.List{listvalidator.SizeBetween(1, 5), listvalidator.ValueStringsAre(each)},
		}
	}
	resp.Schema = schema.Schema{
		Description: "A subscription of a queue to a topic of a Sluice tenant, with the arguments of the AWS provider's " +
			"aws_sns_topic_subscription that Sluice serves, plus CMQ's tag and binding-key filters. A message reaches " +
			"the queue only when every filter set matches.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Description: "The subscription's ARN, as arn.", Computed: true, PlanModifiers: keep,
			},
			"account": schema.StringAttribute{
				Description: "12-digit account id of the tenant owning the topic. Defaults to the provider's account. " +
					"Changing it replaces the subscription.",
				Optional: true,
				Computed: true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace(),
				},
				Validators: []validator.String{accountIDValidator()},
			},
			"topic": schema.StringAttribute{
				Description: "The topic's name. Changing it replaces the subscription.",
				Required:    true, PlanModifiers: replace,
				Validators: []validator.String{stringvalidator.RegexMatches(topicNameRe, "must be a topic name")},
			},
			"protocol": schema.StringAttribute{
				Description: "The protocol: sqs. Changing it replaces the subscription.",
				Required:    true, PlanModifiers: replace,
				Validators: []validator.String{stringvalidator.OneOf("sqs")},
			},
			"endpoint": schema.StringAttribute{
				Description: "The queue: its ARN (a queue of the same tenant), or its name in the control plane's region. " +
					"Changing it replaces the subscription.",
				Required: true, PlanModifiers: replace,
			},
			"arn": schema.StringAttribute{
				Description: "The subscription's ARN, {topic ARN}:{subscription id}.", Computed: true, PlanModifiers: keep,
			},
			"subscription_id": schema.StringAttribute{
				Description: "The subscription's id, the last part of its ARN.", Computed: true, PlanModifiers: keep,
			},
			"raw_message_delivery": schema.BoolAttribute{
				Description: "Deliver the bare message and its attributes instead of SNS's JSON envelope.",
				Optional:    true, Computed: true, Default: booldefault.StaticBool(false),
			},
			"filter_policy": schema.StringAttribute{
				Description: "An SNS filter policy (JSON, e.g. from jsonencode()).",
				CustomType:  jsonStringType{},
				Optional:    true,
			},
			"filter_policy_scope": schema.StringAttribute{
				Description: "What filter_policy looks at: MessageAttributes (the default) or MessageBody.",
				Optional:    true,
				Validators:  []validator.String{stringvalidator.OneOf("MessageAttributes", "MessageBody")},
			},
			"filter_tags": cmqList("CMQ tag filter: 1 to 5 tags of 1 to 16 characters. The queue gets a message only "+
				"when its sluice.tags attribute shares one; untagged messages never.",
				stringvalidator.LengthBetween(1, 16)),
			"binding_keys": cmqList("CMQ binding keys: 1 to 5 dot-separated keys of at most 64 bytes where * is one word "+
				"and # zero or more. The queue gets a message only when one matches its sluice.routingKey attribute.",
				stringvalidator.LengthBetween(1, 64)),
		},
	}
}

// attributes are the subscription attributes m says, "" for those it
// leaves out (which removes them).
func (m *topicSubscriptionModel) attributes(ctx context.Context, diags *diag.Diagnostics) map[string]string {
	list := func(l types.List) string {
		if l.IsNull() || l.IsUnknown() {
			return ""
		}
		var items []string
		diags.Append(l.ElementsAs(ctx, &items, false)...)
		b, _ := json.Marshal(items)
		return string(b)
	}
	return map[string]string{
		"RawMessageDelivery": fmt.Sprint(m.RawMessageDelivery.ValueBool()),
		"FilterPolicy":       m.FilterPolicy.ValueString(),
		"FilterPolicyScope":  m.FilterPolicyScope.ValueString(),
		"FilterTags":         list(m.FilterTags),
		"BindingKeys":        list(m.BindingKeys),
	}
}

// fromSubscription fills m from the server's answer, keeping prior
// spellings the server cannot tell apart: a queue name for its ARN, the
// default scope left out, a policy's key order.
func (m *topicSubscriptionModel) fromSubscription(ctx context.Context, account string, s api.Subscription, diags *diag.Diagnostics) {
	m.Account = types.StringValue(account)
	m.Topic = types.StringValue(s.Topic)
	m.Protocol = types.StringValue(s.Protocol)
	if prior := m.Endpoint.ValueString(); !known(m.Endpoint) || (prior != s.Endpoint && !strings.HasSuffix(s.Endpoint, ":"+prior)) {
		m.Endpoint = types.StringValue(s.Endpoint)
	}
	m.ARN = types.StringValue(s.ARN)
	m.ID = m.ARN
	m.SubscriptionID = types.StringValue(s.ID)
	m.RawMessageDelivery = types.BoolValue(s.Attributes["RawMessageDelivery"] == "true")
	if p := s.Attributes["FilterPolicy"]; p == "" {
		m.FilterPolicy = jsonNull()
	} else if !known(m.FilterPolicy) || !sameJSON(m.FilterPolicy.ValueString(), p) {
		m.FilterPolicy = newJSONString(p)
	}
	if scope := s.Attributes["FilterPolicyScope"]; scope == "" || (scope == "MessageAttributes" && m.FilterPolicyScope.IsNull()) {
		m.FilterPolicyScope = types.StringNull()
	} else {
		m.FilterPolicyScope = types.StringValue(scope)
	}
	list := func(v string) types.List {
		if v == "" {
			return types.ListNull(types.StringType)
		}
		var items []string
		if err := json.Unmarshal([]byte(v), &items); err != nil {
			diags.AddError("Unexpected subscription attribute", "The server answered "+strconvQuote(v)+".")
		}
		l, d := types.ListValueFrom(ctx, types.StringType, items)
		diags.Append(d...)
		return l
	}
	m.FilterTags = list(s.Attributes["FilterTags"])
	m.BindingKeys = list(s.Attributes["BindingKeys"])
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

func (r *topicSubscriptionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan topicSubscriptionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account := r.pd.accountFor(plan.Account, &resp.Diagnostics)
	attrs := plan.attributes(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	for k, v := range attrs {
		if v == "" {
			delete(attrs, k)
		}
	}
	topic := plan.Topic.ValueString()
	s, err := r.pd.api.Subscribe(ctx, account, topic, api.CreateSubscriptionRequest{
		Protocol: plan.Protocol.ValueString(), Endpoint: plan.Endpoint.ValueString(), Attributes: attrs,
	})
	if err != nil {
		resp.Diagnostics.AddError("Cannot subscribe to topic "+topic, errorHint(err))
		return
	}
	plan.fromSubscription(ctx, account, s, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *topicSubscriptionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state topicSubscriptionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account := state.Account.ValueString()
	s, err := r.pd.api.GetSubscription(ctx, account, state.Topic.ValueString(), state.SubscriptionID.ValueString())
	if isNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read subscription "+state.ARN.ValueString(), errorHint(err))
		return
	}
	state.fromSubscription(ctx, account, s, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *topicSubscriptionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state topicSubscriptionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	want, have := plan.attributes(ctx, &resp.Diagnostics), state.attributes(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	change := map[string]string{}
	for k, v := range want {
		if have[k] != v && !(k == "FilterPolicy" && sameJSON(have[k], v)) {
			change[k] = v
		}
	}
	account, topic, id := state.Account.ValueString(), state.Topic.ValueString(), state.SubscriptionID.ValueString()
	var s api.Subscription
	var err error
	if len(change) == 0 {
		s, err = r.pd.api.GetSubscription(ctx, account, topic, id)
	} else {
		s, err = r.pd.api.UpdateSubscription(ctx, account, topic, id, api.UpdateSubscriptionRequest{Attributes: change})
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot update subscription "+state.ARN.ValueString(), errorHint(err))
		return
	}
	plan.fromSubscription(ctx, account, s, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *topicSubscriptionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state topicSubscriptionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.pd.api.Unsubscribe(ctx, state.Account.ValueString(), state.Topic.ValueString(), state.SubscriptionID.ValueString())
	if err != nil && !isNotFound(err) {
		resp.Diagnostics.AddError("Cannot delete subscription "+state.ARN.ValueString(), errorHint(err))
	}
}

// ImportState takes a subscription ARN, as the AWS provider imports
// aws_sns_topic_subscription.
func (r *topicSubscriptionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	parts := strings.Split(req.ID, ":")
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "sns" || !accountIDRe.MatchString(parts[4]) || !topicNameRe.MatchString(parts[5]) || parts[6] == "" {
		resp.Diagnostics.AddError("Invalid import id", "want a subscription ARN (arn:aws:sns:REGION:ACCOUNT:TOPIC:ID), got "+req.ID)
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("account"), types.StringValue(parts[4]))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("topic"), types.StringValue(parts[5]))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("subscription_id"), types.StringValue(parts[6]))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("arn"), types.StringValue(req.ID))...)
}
