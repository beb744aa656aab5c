package sqsapi

import (
	"net/url"
	"reflect"
	"testing"
)

// flatten lists the tree's parameters by their full names.
func (p *queryParams) flatten() url.Values {
	out := url.Values{}
	var walk func(n *paramNode, name string)
	walk = func(n *paramNode, name string) {
		if len(n.values) > 0 {
			out[name] = n.values
		}
		for part, child := range n.children {
			if n == &p.root {
				walk(child, part)
			} else {
				walk(child, name+"."+part)
			}
		}
	}
	walk(&p.root, "")
	return out
}

// parseAsBefore is what parseQueryParams did with url.ParseQuery: the
// URL's parameters, malformed pairs dropped, then the body's, whose
// malformed pairs refuse the request.
func parseAsBefore(rawQuery, form string) (url.Values, bool) {
	params, _ := url.ParseQuery(rawQuery)
	if form == "" {
		return params, true
	}
	body, err := url.ParseQuery(form)
	if err != nil {
		return nil, false
	}
	for k, v := range body {
		params[k] = append(params[k], v...)
	}
	return params, true
}

func checkParsedAsBefore(t *testing.T, rawQuery, form string) {
	t.Helper()
	if countPairs(rawQuery)+countPairs(form) > maxQueryParams {
		return
	}
	want, ok := parseAsBefore(rawQuery, form)
	p, err := parseQueryParams(rawQuery, []byte(form))
	if (err == nil) != ok {
		t.Fatalf("parse(%q, %q): error %v, url.ParseQuery accepted it: %v", rawQuery, form, err, ok)
	}
	if err != nil {
		return
	}
	if got := p.flatten(); !reflect.DeepEqual(got, want) {
		t.Fatalf("parse(%q, %q) = %v, url.ParseQuery gives %v", rawQuery, form, got, want)
	}
	if got, want := p.get("Action"), want.Get("Action"); got != want {
		t.Fatalf("Action = %q, want %q", got, want)
	}
}

var queryParamsSeeds = [][2]string{
	{"", ""},
	{"Action=SendMessageBatch&Version=2012-11-05", "QueueUrl=http%3A%2F%2Flocalhost%2F1%2Fq&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x+y%21"},
	{"Action=A&Action=B", "Action=C&X.1=a&X.1=b&X..2=c&.=d&=e&f"},
	{"a=%zz&b=1&c;d=2&e=3", "g=1"},
	{"", "a=1&b=%zz"},
	{"", "a=1;b=2"},
	{"&&&", "&a&&b=&=&"},
	{"A.B.C.D.E.F", ".......&&&&=&x=%41&ChangeMessageVisibilityBatchRequestEntry.2.VisibilityTimeout=5"},
}

// TestQueryParamsAsParseQuery: the tree holds exactly the parameters
// url.ParseQuery found, in the same order per name, and refuses the
// bodies it refused.
func TestQueryParamsAsParseQuery(t *testing.T) {
	for _, s := range queryParamsSeeds {
		checkParsedAsBefore(t, s[0], s[1])
	}
}

func FuzzQueryParamsAsParseQuery(f *testing.F) {
	for _, s := range queryParamsSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(checkParsedAsBefore)
}
