package sqsapi_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// jsonPost sends a JSON-protocol request with body exactly as given.
func (s *server) jsonPost(t *testing.T, action string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=KEYA/20261121/"+region+"/sqs/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

const allowedSet = ", the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."

// textCase is a message text SQS refuses, as a JSON string literal's
// contents and as the bytes a Query request percent-encodes.
type textCase struct {
	name, json, query, char string
}

var refusedTexts = []textCase{
	{"lone high surrogate", `a\ud800b`, "a\xed\xa0\x80b", "#xD800"},
	{"lone low surrogate", `\udfff`, "\xed\xbf\xbf", "#xDFFF"},
	{"pair reversed", `\udc00\ud800`, "\xed\xb0\x80\xed\xa0\x80", "#xDC00"},
	{"high then not low", `\ud800\u0041`, "\xed\xa0\x80A", "#xD800"},
	{"invalid UTF-8 byte", "a\xffb", "a\xffb", "#xFF"},
	{"truncated sequence", "ok \xe2\x82", "ok \xe2\x82", "#xE2"},
	{"surrogate in raw bytes", "\xed\xa0\x80", "\xed\xa0\x80", "#xD800"},
}

// TestMessageTextRefused: a body or attribute value that is not text SQS
// allows is refused in both protocols — bodies with InvalidMessageContents,
// attribute values with InvalidParameterValue — instead of being stored
// with U+FFFD in place of what was sent.
func TestMessageTextRefused(t *testing.T) {
	s := newServer(t, kvtest.OpenLocal(t))
	if _, err := s.engine.Catalog().Create(ctx, refA("text"), nil, nil); err != nil {
		t.Fatal(err)
	}
	queueURL := "/" + accountA + "/text"
	for _, tc := range refusedTexts {
		t.Run(tc.name, func(t *testing.T) {
			bodyError := "Invalid binary character '" + tc.char + "' was found in the message body" + allowedSet
			attrError := "Invalid binary character '" + tc.char + "' was found in the message attribute 'a' value" + allowedSet
			jsonSend := func(body, attrs string) []byte {
				return []byte(`{"QueueUrl":"` + queueURL + `","MessageBody":"` + body + `"` + attrs + `}`)
			}
			jsonCases := []struct {
				name, code, message string
				body                []byte
			}{
				{"body", "InvalidMessageContents", bodyError, jsonSend(tc.json, "")},
				{"attribute", "InvalidParameterValue", attrError,
					jsonSend("ok", `,"MessageAttributes":{"a":{"DataType":"String","StringValue":"`+tc.json+`"}}`)},
				{"system attribute", "InvalidParameterValue", "AWSTraceHeader",
					jsonSend("ok", `,"MessageSystemAttributes":{"AWSTraceHeader":{"DataType":"String","StringValue":"`+tc.json+`"}}`)},
			}
			for _, c := range jsonCases {
				status, reply := s.jsonPost(t, "SendMessage", c.body)
				var e struct {
					Type    string `json:"__type"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(reply, &e); err != nil || status != 400 || !strings.HasSuffix(e.Type, "#"+c.code) || !strings.Contains(e.Message, c.message) {
					t.Errorf("json %s: %d %s, want 400 %s %q", c.name, status, reply, c.code, c.message)
				}
			}

			queryCases := []struct {
				name, code, message string
				params              []string
			}{
				{"body", "InvalidMessageContents", bodyError, []string{"MessageBody", tc.query}},
				{"attribute", "InvalidParameterValue", attrError, []string{"MessageBody", "ok",
					"MessageAttribute.1.Name", "a", "MessageAttribute.1.Value.DataType", "String", "MessageAttribute.1.Value.StringValue", tc.query}},
			}
			for _, c := range queryCases {
				var e xmlError
				readXML(t, s.queryPost(t, "KEYA", action("SendMessage", append([]string{"QueueUrl", queueURL}, c.params...)...)), 400, &e)
				if e.Error.Code != c.code || e.Error.Message != c.message {
					t.Errorf("query %s: %+v, want %s %q", c.name, e.Error, c.code, c.message)
				}
			}
		})
	}
	wantStored(t, s, queueURL, nil)
}

// TestMessageTextRefusedInBatch: in a batch only the entries with such
// text fail, each with its code; the others are sent.
func TestMessageTextRefusedInBatch(t *testing.T) {
	s := newServer(t, kvtest.OpenLocal(t))
	if _, err := s.engine.Catalog().Create(ctx, refA("text"), nil, nil); err != nil {
		t.Fatal(err)
	}
	queueURL := "/" + accountA + "/text"
	bad := refusedTexts[0]
	want := map[string]string{"body": "InvalidMessageContents", "raw": "InvalidMessageContents", "attr": "InvalidParameterValue"}

	body := `{"QueueUrl":"` + queueURL + `","Entries":[
		{"Id":"ok1","MessageBody":"json one"},
		{"Id":"body","MessageBody":"` + bad.json + `"},
		{"Id":"raw","MessageBody":"x` + "\xff" + `"},
		{"Id":"attr","MessageBody":"x","MessageAttributes":{"a":{"DataType":"String","StringValue":"` + bad.json + `"}}},
		{"Id":"ok2","MessageBody":"json two"}]}`
	status, reply := s.jsonPost(t, "SendMessageBatch", []byte(body))
	var out struct {
		Successful []struct{ Id, MD5OfMessageBody string }
		Failed     []struct {
			Id, Code    string
			SenderFault bool
		}
	}
	if err := json.Unmarshal(reply, &out); err != nil || status != 200 {
		t.Fatalf("json batch: %d %s", status, reply)
	}
	if len(out.Successful) != 2 || out.Successful[0].MD5OfMessageBody != md5Hex("json one") {
		t.Errorf("json batch sent %+v, want ok1 and ok2", out.Successful)
	}
	if len(out.Failed) != len(want) {
		t.Errorf("json batch failed %+v, want %v", out.Failed, want)
	}
	for _, f := range out.Failed {
		if want[f.Id] != f.Code || !f.SenderFault {
			t.Errorf("json batch entry %s failed with %s (sender %v), want %s", f.Id, f.Code, f.SenderFault, want[f.Id])
		}
	}

	var r xmlReply
	readXML(t, s.queryPost(t, "KEYA", action("SendMessageBatch", "QueueUrl", queueURL,
		"SendMessageBatchRequestEntry.1.Id", "ok1", "SendMessageBatchRequestEntry.1.MessageBody", "query one",
		"SendMessageBatchRequestEntry.2.Id", "body", "SendMessageBatchRequestEntry.2.MessageBody", bad.query,
		"SendMessageBatchRequestEntry.3.Id", "raw", "SendMessageBatchRequestEntry.3.MessageBody", "x\xff",
		"SendMessageBatchRequestEntry.4.Id", "attr", "SendMessageBatchRequestEntry.4.MessageBody", "x",
		"SendMessageBatchRequestEntry.4.MessageAttribute.1.Name", "a",
		"SendMessageBatchRequestEntry.4.MessageAttribute.1.Value.DataType", "String",
		"SendMessageBatchRequestEntry.4.MessageAttribute.1.Value.StringValue", bad.query,
	)), 200, &r)
	if len(r.Result.SendEntries) != 1 || r.Result.SendEntries[0].ID != "ok1" || len(r.Result.Failed) != len(want) {
		t.Errorf("query batch = %+v", r.Result)
	}
	for _, f := range r.Result.Failed {
		if want[f.ID] != f.Code || !f.SenderFault {
			t.Errorf("query batch entry %s failed with %s (sender %v), want %s", f.ID, f.Code, f.SenderFault, want[f.ID])
		}
	}
	wantStored(t, s, queueURL, []string{"json one", "json two", "query one"})
}

// TestMessageTextKept: texts that only look suspicious (escaped pairs, an
// escaped backslash before "ud800", U+FFFD itself) are stored exactly as
// sent, with their MD5s, also when another string of the request (here a
// member SQS ignores) makes the texts be read again as sent.
func TestMessageTextKept(t *testing.T) {
	s := newServer(t, kvtest.OpenLocal(t))
	if _, err := s.engine.Catalog().Create(ctx, refA("text"), nil, nil); err != nil {
		t.Fatal(err)
	}
	queueURL := "/" + accountA + "/text"
	kept := []struct{ json, want string }{
		{`smile \ud83d\ude00 \uD83D\uDE00`, "smile \U0001F600 \U0001F600"},
		{`\\ud800 is text`, `\ud800 is text`},
		{`\ufffd and ` + "\uFFFD", "\uFFFD and \uFFFD"},
		{`tab\t\"quoted\" \/ \u00e9\u4e16 \ud83d\ude00`, "tab\t\"quoted\" / \u00e9\u4e16 \U0001F600"},
	}
	var want []string
	for _, k := range kept {
		for _, extra := range []string{"", `,"Ignored":"\ud800"`} {
			status, reply := s.jsonPost(t, "SendMessage", []byte(`{"QueueUrl":"`+queueURL+`","MessageBody":"`+k.json+`"`+extra+
				`,"MessageAttributes":{"a":{"DataType":"String","StringValue":"`+k.json+`"}}}`))
			var out struct{ MD5OfMessageBody, MD5OfMessageAttributes string }
			wantAttrs := msgattr.MD5OfAttributes(msgattr.Attributes{"a": {DataType: "String", StringValue: k.want}})
			if err := json.Unmarshal(reply, &out); err != nil || status != 200 ||
				out.MD5OfMessageBody != md5Hex(k.want) || out.MD5OfMessageAttributes != wantAttrs {
				t.Fatalf("body %q%s: %d %s, want MD5s %s and %s", k.json, extra, status, reply, md5Hex(k.want), wantAttrs)
			}
			want = append(want, k.want)
		}
	}
	wantStored(t, s, queueURL, want)
}

// wantStored receives every message of the queue and checks their bodies
// are exactly want, in any order.
func wantStored(t *testing.T, s *server, queueURL string, want []string) {
	t.Helper()
	c := s.client("KEYA")
	var got []string
	for {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(s.URL + queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			got = append(got, aws.ToString(m.Body))
		}
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("stored %q, want %q", got, want)
	}
}
