package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sluice-mq/sluice/sdk/api"
)

// The queue's argument names, ranges and defaults are the AWS provider's
// aws_sqs_queue ones, which are SQS's, so a configuration moves between
// the two by renaming the resource type.
const (
	defaultMaxMessageSize   = 1 << 20 // SQS's since 2025, and Sluice's
	defaultRetentionSeconds = 345600  // 4 days
	defaultVisibilitySecs   = 30
)

func (r *queueResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A queue of a Sluice tenant, with the arguments of the AWS provider's aws_sqs_queue " +
			"plus Sluice's tiering settings. Managed through the control plane with a token, not SigV4 keys.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Description:   "The queue's URL, as url.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"account": schema.StringAttribute{
				Description: "12-digit account id of the tenant owning the queue. Defaults to the provider's account. " +
					"Changing it replaces the queue.",
				Optional: true,
				Computed: true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace(),
				},
				Validators: []validator.String{accountIDValidator()},
			},
			"name": schema.StringAttribute{
				Description: "The queue's name: 1 to 80 letters, digits, hyphens and underscores; a FIFO queue's name " +
					"ends in .fifo. Generated (terraform-...) when neither name nor name_prefix is set. " +
					"Changing it replaces the queue.",
				Optional: true,
				Computed: true,
				PlanModifiers: []planmodifier.String{
					stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace(),
				},
				Validators: []validator.String{stringvalidator.ConflictsWith(path.MatchRoot("name_prefix"))},
			},
			"name_prefix": schema.StringAttribute{
				Description: "Creates a unique name beginning with this prefix (.fifo is appended for a FIFO queue). " +
					"Conflicts with name. Changing it replaces the queue.",
				Optional:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"fifo_queue": schema.BoolAttribute{
				Description:   "Whether the queue is a FIFO queue. Defaults to false. Changing it replaces the queue.",
				Optional:      true,
				Computed:      true,
				Default:       booldefault.StaticBool(false),
				PlanModifiers: []planmodifier.Bool{boolplanmodifier.RequiresReplace()},
			},
			"content_based_deduplication": schema.BoolAttribute{
				Description: "FIFO queues only: deduplicate by the SHA-256 of the body when a message has no " +
					"deduplication id. Defaults to false.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"deduplication_scope": schema.StringAttribute{
				Description: "FIFO queues only: whether deduplication is per queue (queue) or per message group " +
					"(messageGroup). Defaults to queue on a FIFO queue.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.String{fifoDefault{value: "queue"}},
				Validators:    []validator.String{stringvalidator.OneOf("messageGroup", "queue")},
			},
			"fifo_throughput_limit": schema.StringAttribute{
				Description: "FIFO queues only: perQueue or perMessageGroupId. Accepted and stored; Sluice has no " +
					"per-queue ceiling either way. Defaults to perQueue on a FIFO queue.",
				Optional:      true,
				Computed:      true,
				PlanModifiers: []planmodifier.String{fifoDefault{value: "perQueue"}},
				Validators:    []validator.String{stringvalidator.OneOf("perQueue", "perMessageGroupId")},
			},
			"delay_seconds": intSetting("Seconds every message is delayed before it can be received, 0 to 900.", 0, 0, 900),
			"max_message_size": intSetting("Largest message, body plus attributes, in bytes: 1024 to 1048576 (1 MiB).",
				defaultMaxMessageSize, 1024, 1048576),
			"message_retention_seconds": intSetting("Seconds a message is kept, 60 (1 minute) to 1209600 (14 days).",
				defaultRetentionSeconds, 60, 1209600),
			"receive_wait_time_seconds": intSetting("Seconds a ReceiveMessage call waits for a message (long polling), 0 to 20.", 0, 0, 20),
			"visibility_timeout_seconds": intSetting("Seconds a received message stays invisible to other consumers, 0 to 43200 (12 hours).",
				defaultVisibilitySecs, 0, 43200),
			"redrive_policy": jsonAttribute("The dead-letter queue policy, as JSON: " +
				"jsonencode({ deadLetterTargetArn = ..., maxReceiveCount = 5 }). maxReceiveCount must be a number. " +
				"Use sluice_queue_redrive_policy instead when two queues refer to each other."),
			"redrive_allow_policy": jsonAttribute("Which source queues may use this queue as their dead-letter queue, as JSON: " +
				"jsonencode({ redrivePermission = \"byQueue\", sourceQueueArns = [...] }) (or allowAll, denyAll). " +
				"Use sluice_queue_redrive_allow_policy instead when two queues refer to each other."),
			"policy": jsonAttribute("The queue's access policy, as JSON. Stored and returned as SQS does; " +
				"Sluice tenants are isolated, so it grants nothing to other accounts."),
			"tags": schema.MapAttribute{
				Description: "Tags of the queue.",
				ElementType: types.StringType,
				Optional:    true,
			},
			"arn": schema.StringAttribute{
				Description:   "The queue's ARN, arn:aws:sqs:{region}:{account}:{name}.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"url": schema.StringAttribute{
				Description:   "The queue's URL, {endpoint}/{account}/{name}, for the SQS API.",
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
		},
		Blocks: map[string]schema.Block{
			"tiering": schema.SingleNestedBlock{
				Description: "When message bodies move to the cold tier (segments on the blob store): once older than " +
					"the hot window, or sooner, oldest first, while the queue's hot bytes exceed the budget. " +
					"Without the block the queue has the defaults.",
				Attributes: map[string]schema.Attribute{
					"hot_window_seconds": schema.Int64Attribute{
						Description: "Seconds a body stays hot, 0 to 1209600. Defaults to 300.",
						Optional:    true,
						Computed:    true,
						Default:     int64default.StaticInt64(api.DefaultHotWindowSeconds),
						Validators:  []validator.Int64{int64validator.Between(0, 1209600)},
					},
					"hot_bytes_budget": schema.Int64Attribute{
						Description: "Bytes of hot bodies the queue may keep, 0 to 2^40. Defaults to 67108864 (64 MiB).",
						Optional:    true,
						Computed:    true,
						Default:     int64default.StaticInt64(api.DefaultHotBytesBudget),
						Validators:  []validator.Int64{int64validator.Between(0, 1<<40)},
					},
				},
			},
		},
	}
}

func intSetting(description string, def, lo, hi int64) schema.Int64Attribute {
	return schema.Int64Attribute{
		Description: description + " Defaults to " + itoa(def) + ".",
		Optional:    true,
		Computed:    true,
		Default:     int64default.StaticInt64(def),
		Validators:  []validator.Int64{int64validator.Between(lo, hi)},
	}
}

// jsonAttribute is a JSON document attribute. Optional and computed, as in
// the AWS provider: the separate policy resources set it too, and a queue
// configured without it keeps what they set. "" removes it.
func jsonAttribute(description string) schema.StringAttribute {
	return schema.StringAttribute{
		Description: description + " Compared as JSON, so key order and whitespace make no diff; \"\" removes it.",
		CustomType:  jsonStringType{},
		Optional:    true,
		Computed:    true,
		PlanModifiers: []planmodifier.String{
			stringplanmodifier.UseStateForUnknown(), keepSemanticallyEqualJSON{},
		},
	}
}
