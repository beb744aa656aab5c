package provider

import (
	"context"
	"regexp"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)

func accountIDValidator() validator.String {
	return stringvalidator.RegexMatches(accountIDRe, "must be a 12-digit account id")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// fifoDefault plans a FIFO-only setting left out of the configuration:
// SQS's default on a FIFO queue, none on a standard one. Planning the
// value, rather than leaving it unknown, keeps plans exact.
type fifoDefault struct{ value string }

func (m fifoDefault) Description(context.Context) string {
	return "Defaults to " + m.value + " on a FIFO queue and to none on a standard queue."
}

func (m fifoDefault) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (m fifoDefault) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if !req.ConfigValue.IsNull() {
		return
	}
	var fifo types.Bool
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("fifo_queue"), &fifo)...)
	switch {
	case fifo.IsUnknown():
		resp.PlanValue = types.StringUnknown()
	case fifo.ValueBool():
		resp.PlanValue = types.StringValue(m.value)
	default:
		resp.PlanValue = types.StringNull()
	}
}

// topicNameRe is a topic name: 1 to 256 letters, digits, hyphens and
// underscores, a FIFO topic's ending in .fifo.
var topicNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
