package filter

import (
	"errors"
	"testing"
)

func s(v string) Attribute  { return Attribute{DataType: "String", StringValue: v} }
func n(v string) Attribute  { return Attribute{DataType: "Number", StringValue: v} }
func sa(v string) Attribute { return Attribute{DataType: "String.Array", StringValue: v} }

func TestMatchAttributes(t *testing.T) {
	type attrs = map[string]Attribute
	cases := []struct {
		name   string
		policy string
		attrs  attrs
		want   bool
	}{
		{"exact", `{"store":["example_corp"]}`, attrs{"store": s("example_corp")}, true},
		{"exact other", `{"store":["example_corp"]}`, attrs{"store": s("other")}, false},
		{"exact missing", `{"store":["example_corp"]}`, attrs{}, false},
		{"or within key", `{"store":["a","b"]}`, attrs{"store": s("b")}, true},
		{"and across keys", `{"store":["a"],"kind":["x"]}`, attrs{"store": s("a"), "kind": s("y")}, false},
		{"and across keys both", `{"store":["a"],"kind":["x"]}`, attrs{"store": s("a"), "kind": s("x")}, true},
		{"string does not match number", `{"price":["5"]}`, attrs{"price": n("5")}, false},
		{"number exact", `{"price":[5]}`, attrs{"price": n("5.0")}, true},
		{"number exact vs string", `{"price":[5]}`, attrs{"price": s("5")}, false},
		{"prefix", `{"event":[{"prefix":"order-"}]}`, attrs{"event": s("order-created")}, true},
		{"prefix no", `{"event":[{"prefix":"order-"}]}`, attrs{"event": s("refund")}, false},
		{"suffix", `{"file":[{"suffix":".png"}]}`, attrs{"file": s("a.png")}, true},
		{"suffix no", `{"file":[{"suffix":".png"}]}`, attrs{"file": s("a.jpg")}, false},
		{"ignore case", `{"c":[{"equals-ignore-case":"RED"}]}`, attrs{"c": s("red")}, true},
		{"anything-but value", `{"c":[{"anything-but":"red"}]}`, attrs{"c": s("blue")}, true},
		{"anything-but excluded", `{"c":[{"anything-but":["red","green"]}]}`, attrs{"c": s("green")}, false},
		{"anything-but missing", `{"c":[{"anything-but":"red"}]}`, attrs{}, false},
		{"anything-but prefix", `{"c":[{"anything-but":{"prefix":"re"}}]}`, attrs{"c": s("red")}, false},
		{"anything-but prefix other", `{"c":[{"anything-but":{"prefix":"re"}}]}`, attrs{"c": s("blue")}, true},
		{"anything-but suffix", `{"c":[{"anything-but":{"suffix":"ed"}}]}`, attrs{"c": s("red")}, false},
		{"anything-but number", `{"p":[{"anything-but":[100]}]}`, attrs{"p": n("100")}, false},
		{"anything-but number other", `{"p":[{"anything-but":[100]}]}`, attrs{"p": n("101")}, true},
		{"numeric eq", `{"p":[{"numeric":["=",301.5]}]}`, attrs{"p": n("301.5")}, true},
		{"numeric range in", `{"p":[{"numeric":[">",0,"<=",150]}]}`, attrs{"p": n("150")}, true},
		{"numeric range out", `{"p":[{"numeric":[">",0,"<=",150]}]}`, attrs{"p": n("150.01")}, false},
		{"numeric lower bound", `{"p":[{"numeric":[">=",10]}]}`, attrs{"p": n("10")}, true},
		{"numeric lt", `{"p":[{"numeric":["<",10]}]}`, attrs{"p": n("10")}, false},
		{"numeric on string", `{"p":[{"numeric":["<",10]}]}`, attrs{"p": s("5")}, false},
		{"exists true", `{"p":[{"exists":true}]}`, attrs{"p": s("x")}, true},
		{"exists true missing", `{"p":[{"exists":true}]}`, attrs{}, false},
		{"exists false", `{"p":[{"exists":false}]}`, attrs{}, true},
		{"exists false present", `{"p":[{"exists":false}]}`, attrs{"p": s("x")}, false},
		{"binary ignored", `{"p":[{"exists":true}]}`, attrs{"p": {DataType: "Binary", StringValue: ""}}, false},
		{"string array any", `{"tags":["b"]}`, attrs{"tags": sa(`["a","b"]`)}, true},
		{"string array none", `{"tags":["c"]}`, attrs{"tags": sa(`["a","b"]`)}, false},
		{"string array numbers", `{"tags":[2]}`, attrs{"tags": sa(`[1,2]`)}, true},
		{"custom string label", `{"k":["v"]}`, attrs{"k": {DataType: "String.custom", StringValue: "v"}}, true},
		{"cidr", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, attrs{"ip": s("10.0.0.255")}, true},
		{"cidr out", `{"ip":[{"cidr":"10.0.0.0/24"}]}`, attrs{"ip": s("10.0.1.1")}, false},
		{"$or first", `{"a":["1"],"$or":[{"b":["x"]},{"c":["y"]}]}`, attrs{"a": s("1"), "b": s("x")}, true},
		{"$or second", `{"a":["1"],"$or":[{"b":["x"]},{"c":["y"]}]}`, attrs{"a": s("1"), "c": s("y")}, true},
		{"$or neither", `{"a":["1"],"$or":[{"b":["x"]},{"c":["y"]}]}`, attrs{"a": s("1"), "c": s("z")}, false},
		{"$or and key fails", `{"a":["1"],"$or":[{"b":["x"]},{"c":["y"]}]}`, attrs{"a": s("2"), "b": s("x")}, false},
		{"mixed conditions", `{"p":["free",{"numeric":[">",100]}]}`, attrs{"p": n("101")}, true},
		{"empty policy matches all", `{}`, attrs{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Compile(c.policy, "")
			if err != nil {
				t.Fatalf("compile %s: %v", c.policy, err)
			}
			if got := p.Match(c.attrs, "ignored"); got != c.want {
				t.Fatalf("%s on %v = %v, want %v", c.policy, c.attrs, got, c.want)
			}
		})
	}
}

func TestMatchBody(t *testing.T) {
	body := `{"store":"example_corp","order":{"total":120,"items":["book","pen"],"gift":false,"note":null},"ip":"192.168.1.7"}`
	cases := []struct {
		policy string
		body   string
		want   bool
	}{
		{`{"store":["example_corp"]}`, body, true},
		{`{"order":{"total":[{"numeric":[">",100]}]}}`, body, true},
		{`{"order":{"total":[{"numeric":[">",200]}]}}`, body, false},
		{`{"order":{"items":["pen"]}}`, body, true},
		{`{"order":{"items":["cup"]}}`, body, false},
		{`{"order":{"gift":[false]}}`, body, true},
		{`{"order":{"gift":[true]}}`, body, false},
		{`{"order":{"note":[null]}}`, body, true},
		{`{"order":{"missing":[{"exists":false}]}}`, body, true},
		{`{"order":{"total":[{"exists":true}]}}`, body, true},
		{`{"ip":[{"cidr":"192.168.0.0/16"}]}`, body, true},
		{`{"$or":[{"store":["x"]},{"order":{"total":[120]}}]}`, body, true},
		{`{"store":["example_corp"]}`, `not json`, false},
		{`{"store":["example_corp"]}`, `["example_corp"]`, false},
		{`{"store":[{"prefix":"example"}],"order":{"items":[{"suffix":"en"}]}}`, body, true},
	}
	for _, c := range cases {
		p, err := Compile(c.policy, ScopeBody)
		if err != nil {
			t.Fatalf("compile %s: %v", c.policy, err)
		}
		if got := p.Match(nil, c.body); got != c.want {
			t.Errorf("%s on %s = %v, want %v", c.policy, c.body, got, c.want)
		}
	}
}

func TestCompileRefuses(t *testing.T) {
	bad := []struct {
		policy string
		scope  Scope
	}{
		{`not json`, ""},
		{`[]`, ""},
		{`{"a":"x"}`, ""},
		{`{"a":[]}`, ""},
		{`{"a":[{"prefix":""}]}`, ""},
		{`{"a":[{"unknown":"x"}]}`, ""},
		{`{"a":[{"prefix":"x","suffix":"y"}]}`, ""},
		{`{"a":[{"numeric":["<"]}]}`, ""},
		{`{"a":[{"numeric":["~",1]}]}`, ""},
		{`{"a":[{"numeric":["<",1,">",0]}]}`, ""},
		{`{"a":[{"numeric":[">",5,"<",1]}]}`, ""},
		{`{"a":[{"numeric":["=",1e10]}]}`, ""},
		{`{"a":[{"exists":"yes"}]}`, ""},
		{`{"a":[{"anything-but":{"wildcard":"x"}}]}`, ""},
		{`{"a":[{"cidr":"nope"}]}`, ""},
		{`{"$or":[{"a":["1"]}]}`, ""},
		{`{"a":{"b":["1"]}}`, ScopeAttributes},
		{`{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}`, ""},
		{`{"a":["1","2","3","4","5","6"],"b":["1","2","3","4","5"],"c":["1","2","3","4","5","6"]}`, ""},
		{`{"a":["1"]}`, "Elsewhere"},
	}
	for _, c := range bad {
		_, err := Compile(c.policy, c.scope)
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("Compile(%s, %q) = %v, want a filter.Error", c.policy, c.scope, err)
		}
	}
	if _, err := Compile(`{"a":["1","2","3","4","5"],"b":["1","2","3","4","5"],"c":["1","2","3","4","5","6"]}`, ""); err != nil {
		t.Errorf("150 combinations refused: %v", err)
	}
}
