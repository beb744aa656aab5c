package msgattr

import (
	"maps"
	"slices"
	"testing"
)

// The cases and their outcomes follow LocalStack's
// test_receive_message_message_attribute_names_filters, recorded against SQS.
func TestSelect(t *testing.T) {
	attrs := Attributes{
		"General": str("Kenobi"),
		"Hello":   str("There"),
		"Help.Me": str("Me"),
	}
	tests := []struct {
		name    string
		filters []string
		want    []string
	}{
		{"nil names", nil, nil},
		{"empty names", []string{}, nil},
		{"All", []string{"All"}, []string{"General", "Hello", "Help.Me"}},
		{"asterisk", []string{"*"}, []string{"General", "Hello", "Help.Me"}},
		{"dot asterisk", []string{".*"}, []string{"General", "Hello", "Help.Me"}},
		{"only missing names", []string{"Foo", "Help"}, nil},
		{"exact names", []string{"Hello", "General"}, []string{"General", "Hello"}},
		{"existing and missing", []string{"Foo", "Hello"}, []string{"Hello"}},
		{"prefix needs no dot after it", []string{"Hel.*"}, []string{"Hello", "Help.Me"}},
		{"prefix ending in a dot", []string{"Help..*"}, []string{"Help.Me"}},
		{"exact names are case-sensitive", []string{"hello", "all"}, nil},
		{"illegal name AWS.", []string{"AWS."}, nil},
		{"illegal name ..foo", []string{"..foo"}, nil},
		{"duplicates and overlap", []string{"Hello", "Hel.*", "Hello"}, []string{"Hello", "Help.Me"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Select(attrs, tt.filters)
			if names := slices.Sorted(maps.Keys(got)); !slices.Equal(names, tt.want) {
				t.Errorf("Select(%q) selected %q, want %q", tt.filters, names, tt.want)
			}
			if len(tt.want) == 0 && got != nil {
				t.Errorf("Select(%q) = %#v, want nil", tt.filters, got)
			}
			for name, v := range got {
				if v.StringValue != attrs[name].StringValue {
					t.Errorf("Select changed %s to %+v", name, v)
				}
			}
		})
	}
}

// On receive, SQS digests only the attributes it returns.
func TestSelectThenDigestMatchesSQS(t *testing.T) {
	attrs := Attributes{"General": str("Kenobi"), "Hello": str("There"), "Help.Me": str("Me")}
	if got, want := MD5OfAttributes(Select(attrs, []string{"Hel.*"})), "83fee93c1bcd8b9a5a923ffacdc636c7"; got != want {
		t.Errorf("digest of prefix selection = %s, want %s", got, want)
	}
	if got := MD5OfAttributes(Select(attrs, []string{"Foo"})); got != "" {
		t.Errorf("digest of empty selection = %q, want empty", got)
	}
}

func TestSelectFromNil(t *testing.T) {
	if got := Select(nil, []string{"All"}); got != nil {
		t.Errorf("Select(nil, All) = %#v, want nil", got)
	}
}
