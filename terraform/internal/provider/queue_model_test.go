package provider

import (
	"maps"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

func baseQueueModel() queueModel {
	return queueModel{
		FifoQueue: types.BoolValue(false), ContentBasedDeduplication: types.BoolValue(false),
		DelaySeconds: types.Int64Value(0), MaxMessageSize: types.Int64Value(1 << 20),
		MessageRetentionSeconds: types.Int64Value(345600), ReceiveWaitTimeSeconds: types.Int64Value(0),
		VisibilityTimeoutSeconds: types.Int64Value(30),
		RedrivePolicy:            newJSONString(`{"deadLetterTargetArn":"arn:x","maxReceiveCount":5}`),
		RedriveAllowPolicy:       jsonNull(), Policy: newJSONString(""),
	}
}

func TestChangedAttributesSendsOnlyChanges(t *testing.T) {
	state := baseQueueModel()
	plan := baseQueueModel()
	plan.VisibilityTimeoutSeconds = types.Int64Value(60)
	plan.RedrivePolicy = newJSONString(`{ "maxReceiveCount": 5, "deadLetterTargetArn": "arn:x" }`) // same document
	plan.Policy = newJSONString(`{"Version":"2012-10-17"}`)
	got := changedAttributes(&plan, &state)
	want := map[string]string{"VisibilityTimeout": "60", "Policy": `{"Version":"2012-10-17"}`}
	if !maps.Equal(got, want) {
		t.Errorf("changedAttributes = %v, want %v", got, want)
	}
}

func TestCreateAttributesSendFIFOSettingsOnlyToFIFOQueues(t *testing.T) {
	m := baseQueueModel()
	m.DeduplicationScope = types.StringNull()
	if got := m.createAttributes(); got["FifoQueue"] != "" || got["ContentBasedDeduplication"] != "" {
		t.Errorf("standard queue attributes %v carry FIFO settings", got)
	}
	m.FifoQueue = types.BoolValue(true)
	m.DeduplicationScope = types.StringValue("messageGroup")
	got := m.createAttributes()
	if got["FifoQueue"] != "true" || got["ContentBasedDeduplication"] != "false" || got["DeduplicationScope"] != "messageGroup" {
		t.Errorf("FIFO queue attributes = %v", got)
	}
	if _, ok := got["Policy"]; ok {
		t.Errorf("an empty policy is sent on create: %v", got)
	}
}

func TestTagChanges(t *testing.T) {
	set, remove := tagChanges(map[string]string{"a": "1", "b": "2"}, map[string]string{"a": "1", "b": "1", "c": "3"})
	if !maps.Equal(set, map[string]string{"b": "2"}) || !slices.Equal(remove, []string{"c"}) {
		t.Errorf("tagChanges = %v, %v", set, remove)
	}
}

func TestTieringPatchResetsRemovedBlock(t *testing.T) {
	if p := tieringPatch(nil, nil); p != nil {
		t.Errorf("no block before or after: patch %+v, want none", p)
	}
	p := tieringPatch(nil, &tieringModel{HotWindowSeconds: types.Int64Value(600), HotBytesBudget: types.Int64Value(64 << 20)})
	if p == nil || *p.HotWindowSeconds != 300 || *p.HotBytesBudget != 64<<20 {
		t.Errorf("removed block: patch %+v, want the defaults", p)
	}
}

func TestCheckQueueName(t *testing.T) {
	for _, tc := range []struct {
		name string
		fifo bool
		ok   bool
	}{
		{"orders", false, true},
		{"orders.fifo", true, true},
		{"orders.fifo", false, false},
		{"orders", true, false},
		{string(make([]byte, 81)), false, false},
		{"a b", false, false},
	} {
		if err := checkQueueName(tc.name, tc.fifo); (err == nil) != tc.ok {
			t.Errorf("checkQueueName(%q, fifo=%v) = %v, want ok=%v", tc.name, tc.fifo, err, tc.ok)
		}
	}
}
