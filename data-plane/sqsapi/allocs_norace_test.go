//go:build !race

// Allocation counts: the race detector's instrumentation allocates, so
// these run without it.

package sqsapi

import (
	"fmt"
	"strings"
	"testing"
)

// A Query SendMessageBatch of ten parses in a few allocations per entry
// (a children map each), not several per parameter.
func TestQueryParamsAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters change allocation counts")
	}
	parts := []string{"QueueUrl=http%3A%2F%2Flocalhost%3A9324%2F000000000000%2Fq"}
	for i := 1; i <= 10; i++ {
		parts = append(parts, fmt.Sprintf("SendMessageBatchRequestEntry.%d.Id=m%d&SendMessageBatchRequestEntry.%d.MessageBody=%s",
			i, i, i, strings.Repeat("x", 256)))
	}
	form := []byte(strings.Join(parts, "&"))
	s := &shapes{}
	n := testing.AllocsPerRun(50, func() {
		p, err := parseQueryParams("Action=SendMessageBatch&Version=2012-11-05", form)
		if err != nil {
			t.Fatal(err)
		}
		var in sendMessageBatchInput
		if err := decodeQuery(s, p, &in); err != nil || len(in.Entries) != 10 {
			t.Fatalf("decoded %d entries, error %v", len(in.Entries), err)
		}
	})
	t.Logf("parse and decode: %.0f allocations", n)
	if n > 60 {
		t.Errorf("parsing and decoding a SendMessageBatch of ten takes %.0f allocations, want at most 60", n)
	}
}
