package provider

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sluice-mq/sluice/sdk/api"
)

// SQS attribute names the queue's arguments map to.
const (
	attrDelaySeconds       = "DelaySeconds"
	attrMaxMessageSize     = "MaximumMessageSize"
	attrRetentionPeriod    = "MessageRetentionPeriod"
	attrReceiveWaitTime    = "ReceiveMessageWaitTimeSeconds"
	attrVisibilityTimeout  = "VisibilityTimeout"
	attrRedrivePolicy      = "RedrivePolicy"
	attrRedriveAllowPolicy = "RedriveAllowPolicy"
	attrPolicy             = "Policy"
	attrFifoQueue          = "FifoQueue"
	attrContentBasedDedup  = "ContentBasedDeduplication"
	attrDeduplicationScope = "DeduplicationScope"
	attrFifoThroughput     = "FifoThroughputLimit"
)

// queueModel mirrors sluice_queue's schema.
type queueModel struct {
	ID                        types.String  `tfsdk:"id"`
	Account                   types.String  `tfsdk:"account"`
	Name                      types.String  `tfsdk:"name"`
	NamePrefix                types.String  `tfsdk:"name_prefix"`
	FifoQueue                 types.Bool    `tfsdk:"fifo_queue"`
	ContentBasedDeduplication types.Bool    `tfsdk:"content_based_deduplication"`
	DeduplicationScope        types.String  `tfsdk:"deduplication_scope"`
	FifoThroughputLimit       types.String  `tfsdk:"fifo_throughput_limit"`
	DelaySeconds              types.Int64   `tfsdk:"delay_seconds"`
	MaxMessageSize            types.Int64   `tfsdk:"max_message_size"`
	MessageRetentionSeconds   types.Int64   `tfsdk:"message_retention_seconds"`
	ReceiveWaitTimeSeconds    types.Int64   `tfsdk:"receive_wait_time_seconds"`
	VisibilityTimeoutSeconds  types.Int64   `tfsdk:"visibility_timeout_seconds"`
	RedrivePolicy             jsonString    `tfsdk:"redrive_policy"`
	RedriveAllowPolicy        jsonString    `tfsdk:"redrive_allow_policy"`
	Policy                    jsonString    `tfsdk:"policy"`
	Tags                      types.Map     `tfsdk:"tags"`
	Tiering                   *tieringModel `tfsdk:"tiering"`
	ARN                       types.String  `tfsdk:"arn"`
	URL                       types.String  `tfsdk:"url"`
}

type tieringModel struct {
	HotWindowSeconds types.Int64 `tfsdk:"hot_window_seconds"`
	HotBytesBudget   types.Int64 `tfsdk:"hot_bytes_budget"`
}

// intSettings pairs the integer arguments with their SQS attributes.
func (m *queueModel) intSettings() []struct {
	attr  string
	value *types.Int64
} {
	return []struct {
		attr  string
		value *types.Int64
	}{
		{attrDelaySeconds, &m.DelaySeconds},
		{attrMaxMessageSize, &m.MaxMessageSize},
		{attrRetentionPeriod, &m.MessageRetentionSeconds},
		{attrReceiveWaitTime, &m.ReceiveWaitTimeSeconds},
		{attrVisibilityTimeout, &m.VisibilityTimeoutSeconds},
	}
}

// jsonSettings pairs the JSON arguments with their SQS attributes.
func (m *queueModel) jsonSettings() []struct {
	attr  string
	value *jsonString
} {
	return []struct {
		attr  string
		value *jsonString
	}{
		{attrRedrivePolicy, &m.RedrivePolicy},
		{attrRedriveAllowPolicy, &m.RedriveAllowPolicy},
		{attrPolicy, &m.Policy},
	}
}

// createAttributes are the SQS attributes a queue is created with: every
// known setting; a JSON document left unknown (not configured) is not
// sent, and FIFO settings only go to a FIFO queue, as SQS requires.
func (m *queueModel) createAttributes() map[string]string {
	attrs := map[string]string{}
	for _, s := range m.intSettings() {
		if known(*s.value) {
			attrs[s.attr] = itoa(s.value.ValueInt64())
		}
	}
	for _, s := range m.jsonSettings() {
		if known(*s.value) && s.value.ValueString() != "" {
			attrs[s.attr] = s.value.ValueString()
		}
	}
	if m.FifoQueue.ValueBool() {
		attrs[attrFifoQueue] = "true"
		attrs[attrContentBasedDedup] = strconv.FormatBool(m.ContentBasedDeduplication.ValueBool())
		if known(m.DeduplicationScope) {
			attrs[attrDeduplicationScope] = m.DeduplicationScope.ValueString()
		}
		if known(m.FifoThroughputLimit) {
			attrs[attrFifoThroughput] = m.FifoThroughputLimit.ValueString()
		}
	}
	return attrs
}

// changedAttributes are the SQS attributes whose planned value differs
// from the state's: only those are sent, so a policy another resource
// manages is not written back.
func changedAttributes(plan, state *queueModel) map[string]string {
	attrs := map[string]string{}
	ps, ss := plan.intSettings(), state.intSettings()
	for i := range ps {
		if known(*ps[i].value) && !ps[i].value.Equal(*ss[i].value) {
			attrs[ps[i].attr] = itoa(ps[i].value.ValueInt64())
		}
	}
	pj, sj := plan.jsonSettings(), state.jsonSettings()
	for i := range pj {
		if known(*pj[i].value) && !sameJSON(pj[i].value.ValueString(), sj[i].value.ValueString()) {
			attrs[pj[i].attr] = pj[i].value.ValueString()
		}
	}
	if plan.FifoQueue.ValueBool() {
		if !plan.ContentBasedDeduplication.Equal(state.ContentBasedDeduplication) {
			attrs[attrContentBasedDedup] = strconv.FormatBool(plan.ContentBasedDeduplication.ValueBool())
		}
		if known(plan.DeduplicationScope) && !plan.DeduplicationScope.Equal(state.DeduplicationScope) {
			attrs[attrDeduplicationScope] = plan.DeduplicationScope.ValueString()
		}
		if known(plan.FifoThroughputLimit) && !plan.FifoThroughputLimit.Equal(state.FifoThroughputLimit) {
			attrs[attrFifoThroughput] = plan.FifoThroughputLimit.ValueString()
		}
	}
	return attrs
}

// tieringPatch is the tiering change from state to plan, nil for none. A
// removed block goes back to the defaults.
func tieringPatch(plan, state *tieringModel) *api.TieringPatch {
	want := effectiveTiering(plan)
	if want == effectiveTiering(state) {
		return nil
	}
	return &api.TieringPatch{HotWindowSeconds: &want.HotWindowSeconds, HotBytesBudget: &want.HotBytesBudget}
}

func effectiveTiering(t *tieringModel) api.TieringSettings {
	s := api.TieringSettings{HotWindowSeconds: api.DefaultHotWindowSeconds, HotBytesBudget: api.DefaultHotBytesBudget}
	if t != nil {
		if known(t.HotWindowSeconds) {
			s.HotWindowSeconds = t.HotWindowSeconds.ValueInt64()
		}
		if known(t.HotBytesBudget) {
			s.HotBytesBudget = t.HotBytesBudget.ValueInt64()
		}
	}
	return s
}

// tagChanges splits the difference between two tag sets into tags to set
// and keys to remove.
func tagChanges(want, have map[string]string) (set map[string]string, remove []string) {
	for k, v := range want {
		if old, ok := have[k]; !ok || old != v {
			if set == nil {
				set = map[string]string{}
			}
			set[k] = v
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			remove = append(remove, k)
		}
	}
	return set, remove
}

// tagsOf reads a tags map attribute; null and unknown read as no tags.
func tagsOf(ctx context.Context, m types.Map, diags *diag.Diagnostics) map[string]string {
	tags := map[string]string{}
	if m.IsNull() || m.IsUnknown() {
		return tags
	}
	diags.Append(m.ElementsAs(ctx, &tags, false)...)
	return tags
}

// fromQueue fills m from the server's answer. prior is the value the
// arguments had (the plan after apply, the state on refresh): what the
// server cannot tell apart (no tags or none configured, default tiering
// or no block, "" or no document) keeps its prior spelling, so a plan
// after apply is empty.
func (m *queueModel) fromQueue(ctx context.Context, pd *providerData, account string, q api.Queue, diags *diag.Diagnostics) {
	m.Account = types.StringValue(account)
	m.Name = types.StringValue(q.Name)
	m.ARN = types.StringValue(q.ARN)
	m.URL = types.StringValue(pd.queueURL(account, q.Name))
	m.ID = m.URL

	for _, s := range m.intSettings() {
		n, err := strconv.ParseInt(q.Attributes[s.attr], 10, 64)
		if err != nil {
			diags.AddError("Unexpected queue attribute", "The server answered "+s.attr+"="+strconv.Quote(q.Attributes[s.attr])+".")
			continue
		}
		*s.value = types.Int64Value(n)
	}
	for _, s := range m.jsonSettings() {
		switch v, ok := q.Attributes[s.attr]; {
		case ok && v != "":
			*s.value = newJSONString(v)
		case known(*s.value) && s.value.ValueString() == "":
			*s.value = newJSONString("")
		default:
			*s.value = jsonNull()
		}
	}

	fifo := q.Attributes[attrFifoQueue] == "true"
	m.FifoQueue = types.BoolValue(fifo)
	m.ContentBasedDeduplication = types.BoolValue(q.Attributes[attrContentBasedDedup] == "true")
	m.DeduplicationScope = optionalString(q.Attributes[attrDeduplicationScope])
	m.FifoThroughputLimit = optionalString(q.Attributes[attrFifoThroughput])

	if len(q.Tags) == 0 && m.Tags.IsNull() {
		m.Tags = types.MapNull(types.StringType)
	} else {
		tags, d := types.MapValueFrom(ctx, types.StringType, q.Tags)
		diags.Append(d...)
		m.Tags = tags
	}

	defaults := q.Tiering.HotWindowSeconds == api.DefaultHotWindowSeconds && q.Tiering.HotBytesBudget == api.DefaultHotBytesBudget
	if m.Tiering == nil && defaults {
		return
	}
	m.Tiering = &tieringModel{
		HotWindowSeconds: types.Int64Value(q.Tiering.HotWindowSeconds),
		HotBytesBudget:   types.Int64Value(q.Tiering.HotBytesBudget),
	}
}

func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
