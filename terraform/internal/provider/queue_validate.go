package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Queue names as SQS takes them: a FIFO queue's name is at most 75
// characters before .fifo.
var (
	queueNameRe     = regexp.MustCompile(`^[0-9A-Za-z_-]{1,80}$`)
	fifoQueueNameRe = regexp.MustCompile(`^[0-9A-Za-z_-]{1,75}\.fifo$`)
)

// generatedSuffixLen is how many characters a generated name adds to its
// prefix.
const generatedSuffixLen = 20

// ValidateConfig checks what SQS would refuse, so plan fails instead of
// apply: names, and FIFO settings on a standard queue.
func (r *queueResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m queueModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateQueueConfig(m, &resp.Diagnostics)
}

func validateQueueConfig(m queueModel, diags *diag.Diagnostics) {
	if m.FifoQueue.IsUnknown() {
		return
	}
	fifo := m.FifoQueue.ValueBool()
	if known(m.Name) {
		if err := checkQueueName(m.Name.ValueString(), fifo); err != nil {
			diags.AddAttributeError(path.Root("name"), "Invalid queue name", err.Error())
		}
	}
	if known(m.NamePrefix) {
		if err := checkNamePrefix(m.NamePrefix.ValueString(), fifo); err != nil {
			diags.AddAttributeError(path.Root("name_prefix"), "Invalid queue name prefix", err.Error())
		}
	}
	if fifo {
		return
	}
	if known(m.ContentBasedDeduplication) && m.ContentBasedDeduplication.ValueBool() {
		diags.AddAttributeError(path.Root("content_based_deduplication"), "FIFO-only setting",
			"content_based_deduplication can only be set for FIFO queues (fifo_queue = true).")
	}
	for _, a := range []struct {
		name  string
		value types.String
	}{{"deduplication_scope", m.DeduplicationScope}, {"fifo_throughput_limit", m.FifoThroughputLimit}} {
		if known(a.value) {
			diags.AddAttributeError(path.Root(a.name), "FIFO-only setting",
				a.name+" can only be set for FIFO queues (fifo_queue = true).")
		}
	}
}

func checkQueueName(name string, fifo bool) error {
	if fifo {
		if !fifoQueueNameRe.MatchString(name) {
			return fmt.Errorf("a FIFO queue's name is 1 to 75 letters, digits, hyphens or underscores followed by .fifo; got %q", name)
		}
		return nil
	}
	if !queueNameRe.MatchString(name) {
		if strings.HasSuffix(name, ".fifo") {
			return fmt.Errorf("%q ends in .fifo: set fifo_queue = true for a FIFO queue", name)
		}
		return fmt.Errorf("a queue's name is 1 to 80 letters, digits, hyphens or underscores; got %q", name)
	}
	return nil
}

func checkNamePrefix(prefix string, fifo bool) error {
	max := 80 - generatedSuffixLen
	if fifo {
		max -= len(".fifo")
	}
	if prefix == "" || len(prefix) > max || !queueNameRe.MatchString(prefix) {
		return fmt.Errorf("the prefix is 1 to %d letters, digits, hyphens or underscores (%d characters are generated after it); got %q",
			max, generatedSuffixLen, prefix)
	}
	return nil
}

// known reports whether a configured value is set and known.
func known(v interface {
	IsNull() bool
	IsUnknown() bool
}) bool {
	return !v.IsNull() && !v.IsUnknown()
}
