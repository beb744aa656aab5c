package provider

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/sdk/client"
)

// queueResource is sluice_queue.
type queueResource struct {
	pd *providerData
}

var (
	_ resource.ResourceWithConfigure      = (*queueResource)(nil)
	_ resource.ResourceWithImportState    = (*queueResource)(nil)
	_ resource.ResourceWithValidateConfig = (*queueResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*queueResource)(nil)
)

func newQueueResource() resource.Resource { return &queueResource{} }

func (r *queueResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_queue"
}

func (r *queueResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = configureFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *queueResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	planDefaultAccount(ctx, r.pd, req, resp)
}

func (r *queueResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan queueModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account := r.pd.accountFor(plan.Account, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	name := queueName(plan)
	in := api.CreateQueueRequest{
		Name:       name,
		Attributes: plan.createAttributes(),
		Tags:       tagsOf(ctx, plan.Tags, &resp.Diagnostics),
	}
	if plan.Tiering != nil {
		in.Tiering = tieringPatch(plan.Tiering, nil)
	}
	q, err := createQueue(ctx, r.pd.api, account, in)
	if err != nil {
		resp.Diagnostics.AddError("Cannot create queue "+name, errorHint(err))
		return
	}
	plan.fromQueue(ctx, r.pd, account, q, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// recreateWait bounds how long Create retries QueueDeletedRecently: SQS
// (and Sluice by default) refuse a name for 60 s after its queue is
// deleted, which is what replacing a queue does.
const recreateWait = 90 * time.Second

func createQueue(ctx context.Context, cp controlPlane, account string, in api.CreateQueueRequest) (api.Queue, error) {
	deadline := time.Now().Add(recreateWait)
	for {
		q, err := cp.CreateQueue(ctx, account, in)
		var apiErr *client.Error
		if err == nil || !errors.As(err, &apiErr) || apiErr.Code != "AWS.SimpleQueueService.QueueDeletedRecently" || time.Now().After(deadline) {
			return q, err
		}
		select {
		case <-ctx.Done():
			return q, err
		case <-time.After(2 * time.Second):
		}
	}
}

// queueName is the configured name, or one generated from the prefix
// (default "terraform-"), with .fifo for a FIFO queue.
func queueName(plan queueModel) string {
	if known(plan.Name) {
		return plan.Name.ValueString()
	}
	prefix := "terraform-"
	if known(plan.NamePrefix) {
		prefix = plan.NamePrefix.ValueString()
	}
	name := prefix + randomSuffix()
	if plan.FifoQueue.ValueBool() {
		name += ".fifo"
	}
	return name
}

// randomSuffix is generatedSuffixLen lowercase letters and digits.
func randomSuffix() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, generatedSuffixLen)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func (r *queueResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state queueModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account, name := state.Account.ValueString(), state.Name.ValueString()
	q, err := r.pd.api.GetQueue(ctx, account, name)
	if isNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read queue "+name, errorHint(err))
		return
	}
	state.fromQueue(ctx, r.pd, account, q, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *queueResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state queueModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account, name := state.Account.ValueString(), state.Name.ValueString()
	change := api.UpdateQueueRequest{
		Attributes: changedAttributes(&plan, &state),
		Tiering:    tieringPatch(plan.Tiering, state.Tiering),
	}
	change.Tags, change.RemoveTags = tagChanges(tagsOf(ctx, plan.Tags, &resp.Diagnostics), tagsOf(ctx, state.Tags, &resp.Diagnostics))
	if resp.Diagnostics.HasError() {
		return
	}

	var q api.Queue
	var err error
	if len(change.Attributes) == 0 && change.Tiering == nil && len(change.Tags) == 0 && len(change.RemoveTags) == 0 {
		// Only Terraform-side values changed (e.g. tags {} for null).
		q, err = r.pd.api.GetQueue(ctx, account, name)
	} else {
		q, err = r.pd.api.UpdateQueue(ctx, account, name, change)
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot update queue "+name, errorHint(err))
		return
	}
	plan.fromQueue(ctx, r.pd, account, q, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *queueResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state queueModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.pd.api.DeleteQueue(ctx, state.Account.ValueString(), state.Name.ValueString())
	if err != nil && !isNotFound(err) {
		resp.Diagnostics.AddError("Cannot delete queue "+state.Name.ValueString(), errorHint(err))
	}
}

// ImportState takes a queue URL ({endpoint}/{account}/{name}, as the
// AWS provider imports aws_sqs_queue) or account/name.
func (r *queueResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importAccountAnd(ctx, req, resp, "name", parseQueueID)
}
