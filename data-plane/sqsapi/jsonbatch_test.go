package sqsapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// entriesByDecoding is what jsonBatchSize must find, worked out with
// encoding/json: the most elements of any top-level member whose key
// matches "Entries".
func entriesByDecoding(t *testing.T, body []byte) int {
	d := json.NewDecoder(bytes.NewReader(body))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return 0
	}
	most := 0
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var elems []json.RawMessage
		if strings.EqualFold(tok.(string), "Entries") && json.Unmarshal(v, &elems) == nil {
			most = max(most, len(elems))
		}
	}
	return most
}

func FuzzJSONBatchSize(f *testing.F) {
	for _, s := range []string{
		`{"QueueUrl":"q","Entries":[{"Id":"a","MessageBody":"[,]"},{"Id":"b"}]}`,
		`{"entries":[1,[2,3],{"a":[4,5]},"x,\"y\"",null,true]}`,
		`{"\u0045ntries":[{},{}],"Entries":[]}`,
		` { "Entries" : [ ] , "Other" : [1,2,3] } `,
		`{"Entries":{"a":[1,2]}}`, `[{"Entries":[1]}]`, `{"ENTRIES":[1,2],"Entries":[1]}`,
		`{"a\"`, `{"Entries":[{"a\"`, `{"\u00`, `{"Entries":[1,`, `{"Entries"`, `{"Entries":[`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			jsonBatchSize(body) // must not panic
			return
		}
		if got, want := jsonBatchSize(body), entriesByDecoding(t, body); got != want {
			t.Fatalf("jsonBatchSize(%s) = %d, want %d", body, got, want)
		}
	})
}
