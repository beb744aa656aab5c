package sqsapi

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFastJSONManyAttributeNamesLinear: a body of many distinct attribute
// names (each a map key, as many as 4 MiB holds) costs the fast path no
// more than encoding/json's own reading. Finding repeats by comparing each
// name with every earlier one took time square in their number: 50,000
// names took seconds where encoding/json takes milliseconds.
func TestFastJSONManyAttributeNamesLinear(t *testing.T) {
	const names = 50_000
	var body strings.Builder
	body.WriteString(`{"QueueUrl":"q","MessageBody":"m","MessageAttributes":{`)
	for i := range names {
		if i > 0 {
			body.WriteByte(',')
		}
		body.WriteString(`"a` + strconv.Itoa(i) + `":{"DataType":"String","StringValue":"v"}`)
	}
	body.WriteString(`}}`)
	b := []byte(body.String())

	// Both are timed on the same loaded machine; the best of three runs
	// keeps a pause in either from deciding.
	best := func(decode func()) time.Duration {
		least := time.Duration(1<<63 - 1)
		for range 3 {
			start := time.Now()
			decode()
			least = min(least, time.Since(start))
		}
		return least
	}
	slow := best(func() {
		if err := json.Unmarshal(b, &sendMessageInput{}); err != nil {
			t.Fatal(err)
		}
	})
	fast := best(func() {
		if !decodeFastJSON(b, &sendMessageInput{}) {
			t.Fatal("fast path refused distinct attribute names")
		}
	})
	if fast > 4*slow {
		t.Fatalf("fast path took %v on %d attribute names; encoding/json %v", fast, names, slow)
	}
}

// TestFastJSONRepeatedAttributeNameGivesUp: a repeated attribute name is
// left to encoding/json (which keeps the last value).
func TestFastJSONRepeatedAttributeNameGivesUp(t *testing.T) {
	body := `{"QueueUrl":"q","MessageBody":"m","MessageAttributes":{"a":{"DataType":"String","StringValue":"1"},"b":{"DataType":"String","StringValue":"2"},"a":{"DataType":"Number","StringValue":"3"}}}`
	var in sendMessageInput
	if decodeFastJSON([]byte(body), &in) {
		t.Fatalf("fast path took a repeated attribute name: %+v", in)
	}
}
