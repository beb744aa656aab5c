package sqsapi

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// queryShapes are the request shapes Query requests decode into.
var queryShapes = []any{
	queueURLInput{}, createQueueInput{}, getQueueURLInput{}, listQueuesInput{}, getQueueAttributesInput{},
	setQueueAttributesInput{}, listDeadLetterSourceQueuesInput{}, tagQueueInput{}, untagQueueInput{},
	addPermissionInput{}, removePermissionInput{}, sendMessageInput{}, sendMessageBatchInput{},
	receiveMessageInput{}, deleteMessageInput{}, deleteMessageBatchInput{}, changeVisibilityInput{},
	changeVisibilityBatchInput{}, startMoveTaskInput{}, cancelMoveTaskInput{}, listMoveTasksInput{},
}

// Decoding work per byte of request, and for an empty one. A shape has at
// most a dozen members, and a parameter of n bytes makes at most n+1 tree
// nodes and one entry of a list or map; sorting entry numbers adds up to
// log2(maxQueryParams) comparisons per entry.
const (
	stepsPerByte = 8
	fixedSteps   = 32
)

// decodeSteps decodes urlQuery and form into every shape and fails t when
// one costs more than the linear bound. It returns the largest cost.
func decodeSteps(t *testing.T, urlQuery, form string) int {
	t.Helper()
	params, err := parseQueryParams(urlQuery, []byte(form))
	if err != nil {
		return 0 // refused before any parsing
	}
	most := 0
	for _, shape := range queryShapes {
		d := newQueryDecoder(params, &shapes{})
		_ = d.decode(reflect.New(reflect.TypeOf(shape)).Interface())
		if limit := stepsPerByte*(len(urlQuery)+len(form)) + fixedSteps; d.steps > limit {
			t.Fatalf("%T: decoding %d bytes took %d steps, over %d", shape, len(urlQuery)+len(form), d.steps, limit)
		}
		most = max(most, d.steps)
	}
	return most
}

// FuzzQueryDecodeCost checks that any Query request decodes with work
// linear in its size.
func FuzzQueryDecodeCost(f *testing.F) {
	f.Add("Action=SendMessage", "QueueUrl=/1/q&MessageBody=x&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v")
	f.Add("", "SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.01.Id=b&SendMessageBatchRequestEntry.2.MessageAttribute.3.Value.StringListValue.4=x")
	f.Add("Tag.1.Key=k", "Attribute.1.Name=DelaySeconds&Attribute.1.Value=5&Tag.1.Value=v&Tag.2=&Tag.x.Key=y")
	f.Add("AttributeName.1=All&AttributeName.5=x", "MessageAttributeName.1=a&MessageAttributeName.99999999999999999999=b")
	f.Add("", "A.B.C.D.E.F&.......&&&&=&x=%41&ChangeMessageVisibilityBatchRequestEntry.2.VisibilityTimeout=5")
	f.Fuzz(func(t *testing.T, urlQuery, form string) {
		decodeSteps(t, urlQuery, form)
	})
}

// TestQueryDecodeCostIsLinear decodes requests built to make a decoder
// that rescans the parameters per entry slow, at up to the parameter cap.
func TestQueryDecodeCostIsLinear(t *testing.T) {
	build := func(n int, param func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = param(i + 1)
		}
		return strings.Join(parts, "&")
	}
	shapes := map[string]func(i int) string{
		"batch entries": func(i int) string { return fmt.Sprintf("SendMessageBatchRequestEntry.%d.Id=e%d", i, i) },
		"attributes per entry": func(i int) string {
			return fmt.Sprintf("SendMessageBatchRequestEntry.%d.MessageAttribute.%d.Name=a", i%10+1, i)
		},
		"tags":            func(i int) string { return fmt.Sprintf("Tag.%d.Key=k%d", i, i) },
		"attribute names": func(i int) string { return fmt.Sprintf("AttributeName.%d=n", i) },
		"one entry, many spellings": func(i int) string {
			return fmt.Sprintf("DeleteMessageBatchRequestEntry.%s1.Id=x", strings.Repeat("0", i%50))
		},
	}
	for name, param := range shapes {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{10, 100, maxQueryParams} {
				form := build(n, param)
				steps := decodeSteps(t, "", form)
				if n == maxQueryParams && steps == 0 {
					t.Fatalf("%d parameters were refused; the cap is %d", n, maxQueryParams)
				}
			}
		})
	}
}

// TestQueryParamsCappedBeforeParsing: one parameter over the cap is
// refused whether it is in the URL or the body; the cap itself passes.
func TestQueryParamsCappedBeforeParsing(t *testing.T) {
	urlPart := strings.Repeat("AttributeName.1=x&", maxQueryParams/2-1) + "Action=ReceiveMessage"
	bodyPart := strings.Repeat("x=1&", maxQueryParams/2-1) + "x=1"
	if _, err := parseQueryParams(urlPart, []byte(bodyPart)); err != nil {
		t.Fatalf("%d parameters refused: %v", maxQueryParams, err)
	}
	for _, tc := range []struct{ urlQuery, form string }{
		{urlPart + "&y=1", bodyPart},
		{urlPart, bodyPart + "&y=1"},
		{urlPart, bodyPart + "&"}, // an empty pair counts: "&"s are counted, not parsed
	} {
		_, err := parseQueryParams(tc.urlQuery, []byte(tc.form))
		if we, ok := err.(*Error); !ok || we.Code != "InvalidQueryParameter" || we.Status != 400 {
			t.Fatalf("%d pairs: error %v, want InvalidQueryParameter (400)", maxQueryParams+1, err)
		}
	}
}
