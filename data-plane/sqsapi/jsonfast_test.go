package sqsapi

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// fastShapes are the shapes decodeFastJSON knows.
var fastShapes = []any{
	sendMessageBatchInput{}, sendMessageInput{}, receiveMessageInput{},
	deleteMessageBatchInput{}, deleteMessageInput{},
}

// FuzzFastJSONAsEncodingJSON: whatever decodeFastJSON accepts, encoding/json
// accepts too and decodes to the same value, so the fast path changes no
// request's meaning and no error (what it does not accept goes to
// encoding/json).
func FuzzFastJSONAsEncodingJSON(f *testing.F) {
	for _, seed := range []string{
		`{"QueueUrl":"http://h/111111111111/q","Entries":[{"Id":"0","MessageBody":"hello"},{"Id":"1","MessageBody":"x","DelaySeconds":5}]}`,
		`{"QueueUrl":"q","Entries":[{"Id":"a","MessageBody":"{\"k\":\"v\"}","MessageAttributes":{"n":{"DataType":"Number","StringValue":"1"},"b":{"DataType":"Binary","BinaryValue":"AAEC"}}}]}`,
		`{"QueueUrl":"q","Entries":[{"Id":"a","MessageBody":"é\ud800","MessageSystemAttributes":{"AWSTraceHeader":{"DataType":"String","StringValue":"Root=1"}},"MessageGroupId":"g","MessageDeduplicationId":"d"}]}`,
		`{"QueueUrl":"q","MessageBody":"m","DelaySeconds":-0}`,
		`{"QueueUrl":"q","MaxNumberOfMessages":10,"WaitTimeSeconds":20,"VisibilityTimeout":30,"AttributeNames":["All"],"MessageSystemAttributeNames":[],"MessageAttributeNames":["a.*"],"ReceiveRequestAttemptId":"r"}`,
		`{"QueueUrl":"q","Entries":[{"Id":"0","ReceiptHandle":"AQ=="}]}`,
		`{"QueueUrl":"q","ReceiptHandle":"h"}`,
		` { "QueueUrl" : "q" , "Entries" : [ ] } `,
		`{"queueurl":"q"}`, `{"QueueUrl":"q","QueueUrl":"r"}`, `{"QueueUrl":null}`, `{"MaxNumberOfMessages":1.5}`,
		`{"MaxNumberOfMessages":01}`, `{"MaxNumberOfMessages":99999999999999999999}`, `{"QueueUrl":"q"}x`, `{"Entries":[{}],}`,
		`{"Entries":[{"Id":"0","MessageAttributes":{"a":{"BinaryValue":"!!"}}}]}`, `{"Entries":[{"MessageAttributes":{"a":{"BinaryValue":""}}}]}`,
		// Keys encoding/json matches case-insensitively, escaped, repeated
		// in another case, or folding from non-ASCII (U+212A Kelvin sign).
		`{"QUEUEURL":"q","ReceiptHandle":"h"}`, `{"QueueUrl":"q","queueUrl":"r"}`, `{"\u0051ueueUrl":"q"}`,
		`{"QueueUrl":"q","ReceiptHandle":"h","receipthandle":"i"}`, "{\"QueueUrl\":\"q\",\"Entries\":[{\"Id\":\"0\",\"ReceiptHandle\":\"h\",\"\u212ad\":\"x\"}]}",
		`{"MessageBody":"m","MessageAttributes":{"a":{"DataType":"String","datatype":"Number"}}}`,
		// Numbers encoding/json refuses for an int, or reads as one.
		`{"MaxNumberOfMessages":1e1}`, `{"MaxNumberOfMessages":10.0}`, `{"MaxNumberOfMessages":-0}`, `{"MaxNumberOfMessages":-}`,
		`{"MaxNumberOfMessages":+1}`, `{"MaxNumberOfMessages":999999999999999999}`, `{"MaxNumberOfMessages":-999999999999999999}`,
		`{"MaxNumberOfMessages":9223372036854775808}`, `{"MaxNumberOfMessages":"10"}`, `{"MaxNumberOfMessages":10 }`, `{"MaxNumberOfMessages":1x}`,
		// Strings: invalid UTF-8 (U+FFFD in encoding/json), controls, escapes.
		"{\"QueueUrl\":\"q\",\"MessageBody\":\"\xff\xfe\"}", "{\"QueueUrl\":\"q\",\"MessageBody\":\"a\x01\"}", "{\"QueueUrl\":\"q\",\"MessageBody\":\"\x7f\"}",
		`{"QueueUrl":"q","MessageBody":"\ud83d\ude00\u0000\/"}`, `{"QueueUrl":"q","MessageBody":"\x"}`, `{"QueueUrl":"q","MessageBody":"a\"}`,
		// BOM, trailing data, whitespace, nulls, empty.
		"\xef\xbb\xbf{\"QueueUrl\":\"q\"}", `{"QueueUrl":"q"}{}`, `{"QueueUrl":"q"} `, "\t\r\n{\r\n\"QueueUrl\"\t:\n\"q\"\r}\n", "{\"QueueUrl\":\"q\"}\f",
		`null`, `{}`, `[]`, ``, `{"Entries":null}`, `{"MessageAttributes":null}`, `{"MessageAttributes":{"a":null}}`, `{"AttributeNames":[null]}`,
		`{"MessageBody":null}`, `{"DelaySeconds":null}`, `{"Entries":[null]}`,
		// BinaryValue: padding, URL alphabet, newlines, arrays of bytes.
		`{"MessageAttributes":{"a":{"BinaryValue":"AA"}}}`, `{"MessageAttributes":{"a":{"BinaryValue":"AA=="}}}`, `{"MessageAttributes":{"a":{"BinaryValue":"-_8="}}}`,
		`{"MessageAttributes":{"a":{"BinaryValue":"AA\r\n=="}}}`, `{"MessageAttributes":{"a":{"BinaryValue":"AA\u003d\u003d"}}}`, `{"MessageAttributes":{"a":{"BinaryValue":[1,2]}}}`,
		`{"MessageAttributes":{"a":{"BinaryValue":"AB=="}}}`, `{"MessageAttributes":{"a":{"BinaryValue":"A==="}}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, shape := range fastShapes {
			typ := reflect.TypeOf(shape)
			fast := reflect.New(typ)
			if !decodeFastJSON([]byte(body), fast.Interface()) {
				if !fast.Elem().IsZero() {
					t.Fatalf("%T: gave up on %q but changed its input", shape, body)
				}
				continue
			}
			slow := reflect.New(typ)
			if err := json.Unmarshal([]byte(body), slow.Interface()); err != nil {
				t.Fatalf("%T: took %q, which encoding/json refuses: %v", shape, body, err)
			}
			if !reflect.DeepEqual(fast.Interface(), slow.Interface()) {
				t.Fatalf("%T: %q read as\n%#v\nencoding/json reads\n%#v", shape, body, fast.Elem(), slow.Elem())
			}
		}
	})
}

// TestFastJSONTakesSDKRequests: the fast path takes the requests SDKs send
// on the hot path, escapes and attributes included.
func TestFastJSONTakesSDKRequests(t *testing.T) {
	for _, c := range []struct {
		into any
		body string
	}{
		{&sendMessageBatchInput{}, `{"Entries":[{"Id":"0","MessageBody":"{\"k\":\"é\"}","DelaySeconds":5,"MessageAttributes":{"n":{"DataType":"Number","StringValue":"1"},"b":{"DataType":"Binary","BinaryValue":"AAEC"}}}],"QueueUrl":"http://h/111111111111/q"}`},
		{&sendMessageInput{}, `{"MessageBody":"m","MessageGroupId":"g","MessageDeduplicationId":"d","MessageSystemAttributes":{"AWSTraceHeader":{"DataType":"String","StringValue":"Root=1"}},"QueueUrl":"q"}`},
		{&receiveMessageInput{}, `{"AttributeNames":["All"],"MaxNumberOfMessages":10,"MessageAttributeNames":["All"],"MessageSystemAttributeNames":["All"],"QueueUrl":"q","VisibilityTimeout":30,"WaitTimeSeconds":20}`},
		{&deleteMessageBatchInput{}, `{"Entries":[{"Id":"0","ReceiptHandle":"AQ=="},{"Id":"1","ReceiptHandle":"AR=="}],"QueueUrl":"q"}`},
		{&deleteMessageInput{}, `{"QueueUrl":"q","ReceiptHandle":"h"}`},
	} {
		if !decodeFastJSON([]byte(c.body), c.into) {
			t.Errorf("%T: fast path refused %s", c.into, c.body)
		}
	}
}

// BenchmarkJSONDecode compares encoding/json with the fast path on the
// requests of BenchmarkHandler (ten 256 B messages; ten 200 B handles).
func BenchmarkJSONDecode(b *testing.B) {
	var send, del []map[string]string
	for i := range 10 {
		send = append(send, map[string]string{"Id": strconv.Itoa(i), "MessageBody": strings.Repeat("x", 256)})
		del = append(del, map[string]string{"Id": strconv.Itoa(i), "ReceiptHandle": strings.Repeat("A", 200)})
	}
	sendBody, _ := json.Marshal(map[string]any{"QueueUrl": "http://127.0.0.1/111111111111/bench", "Entries": send})
	delBody, _ := json.Marshal(map[string]any{"QueueUrl": "http://127.0.0.1/111111111111/bench", "Entries": del})
	for _, c := range []struct {
		name string
		body []byte
		into func() any
	}{
		{"SendMessageBatch10", sendBody, func() any { return &sendMessageBatchInput{} }},
		{"DeleteMessageBatch10", delBody, func() any { return &deleteMessageBatchInput{} }},
	} {
		b.Run(c.name+"/decoder=encoding-json", func(b *testing.B) {
			for b.Loop() {
				if err := json.Unmarshal(c.body, c.into()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/decoder=fast", func(b *testing.B) {
			for b.Loop() {
				if !decodeFastJSON(c.body, c.into()) {
					b.Fatal("refused")
				}
			}
		})
	}
}
