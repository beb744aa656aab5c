package filter

import (
	"errors"
	"strings"
	"testing"
)

func TestBindingKeyMatch(t *testing.T) {
	cases := []struct {
		binding, routing string
		want             bool
	}{
		{"a.b.c", "a.b.c", true},
		{"a.b.c", "a.b", false},
		{"a.b", "a.b.c", false},
		{"a.b.c", "a.x.c", false},
		{"*", "a", true},
		{"*", "a.b", false},
		{"*.b", "a.b", true},
		{"*.b", "b", false},
		{"a.*", "a", false},
		{"a.*.c", "a.b.c", true},
		{"a.*.c", "a.b.b.c", false},
		{"#", "a", true},
		{"#", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", true},
		{"#", "", true}, // no routing key: zero words
		{"*", "", false},
		{"a.#", "", false},
		{"#.#", "a.b", true},
		{"a.#", "a", true},
		{"a.#", "a.b.c", true},
		{"a.#", "b.a", false},
		{"#.a", "a", true},
		{"#.a", "x.y.a", true},
		{"#.a", "a.x", false},
		{"a.#.b", "a.b", true},
		{"a.#.b", "a.x.b", true},
		{"a.#.b", "a.x.y.z.b", true},
		{"a.#.b", "a.x.y.z.c", false},
		{"a.#.b", "a.b.x", false},
		{"a.#.b", "a.b.b", true},
		{"1.#.0", "1.0", true},
		{"1.#.0", "1.2.3.0", true},
		{"#.*", "", false},
		{"#.*", "a", true},
		{"*.#", "a.b", true},
		{"#.*.#", "a", true},
		{"*.*.#.*", "a.b", false},
		{"*.*.#.*", "a.b.c", true},
		{"#.b.#", "a.b.c", true},
		{"#.b.#", "a.c", false},
		{"#.a.#.a.#", "a.x.a", true},
		{"#.a.#.a.#", "x.a.x", false},
		{"A", "a", false}, // case matters
	}
	for _, c := range cases {
		b, err := ParseBindingKey(c.binding)
		if err != nil {
			t.Fatalf("binding key %q: %v", c.binding, err)
		}
		var rk RoutingKey
		if c.routing != "" {
			if rk, err = ParseRoutingKey(c.routing); err != nil {
				t.Fatalf("routing key %q: %v", c.routing, err)
			}
		}
		if got := b.Match(rk); got != c.want {
			t.Errorf("%q matches %q: got %v, want %v", c.binding, c.routing, got, c.want)
		}
		if got := refMatch(b, rk); got != c.want {
			t.Errorf("reference: %q matches %q: got %v, want %v", c.binding, c.routing, got, c.want)
		}
	}
}

func TestKeyValidation(t *testing.T) {
	long := strings.Repeat("x", MaxKeyBytes)
	words16 := strings.TrimSuffix(strings.Repeat("a.", 16), ".")
	cases := []struct {
		key              string
		routing, binding bool // valid as each
	}{
		{"a", true, true},
		{long, true, true},
		{long + "x", false, false},
		{"", false, false},
		{words16, true, true},
		{words16 + ".a", false, false},
		{"a..b", false, false},
		{".a", false, false},
		{"a.", false, false},
		{".", false, false},
		{"*", false, true},
		{"#", false, true},
		{"a.*.#", false, true},
		{"a*", false, false},
		{"a.#b", false, false},
		{"**", false, false},
		{"a b.c-d_e", true, true},
		{"état.ü", true, true},
	}
	for _, c := range cases {
		_, rerr := ParseRoutingKey(c.key)
		_, berr := ParseBindingKey(c.key)
		if (rerr == nil) != c.routing || (berr == nil) != c.binding {
			t.Errorf("%q: routing key error %v (want valid %v), binding key error %v (want valid %v)", c.key, rerr, c.routing, berr, c.binding)
		}
		var ke *KeyError
		if rerr != nil && !errors.As(rerr, &ke) {
			t.Errorf("%q: error %T is not a *KeyError", c.key, rerr)
		}
	}
}

func TestBindingKeys(t *testing.T) {
	if _, err := ParseBindingKeys(nil); err == nil {
		t.Error("no binding keys accepted")
	}
	if _, err := ParseBindingKeys([]string{"a", "b", "c", "d", "e", "f"}); err == nil {
		t.Error("6 binding keys accepted")
	}
	if _, err := ParseBindingKeys([]string{"a", "b..c"}); err == nil {
		t.Error("an invalid key among valid ones accepted")
	}
	bs, err := ParseBindingKeys([]string{"order.*", "#.refund", "a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	for rk, want := range map[string]bool{"order.created": true, "x.y.refund": true, "c": true, "order": false, "d": false} {
		r, _ := ParseRoutingKey(rk)
		if got := bs.Match(r); got != want {
			t.Errorf("%q: got %v, want %v", rk, got, want)
		}
	}
}

func TestTags(t *testing.T) {
	if _, err := ParseTags("filter tags", nil); err == nil {
		t.Error("no tags accepted")
	}
	if _, err := ParseTags("filter tags", []string{"1", "2", "3", "4", "5", "6"}); err == nil {
		t.Error("6 tags accepted")
	}
	if _, err := ParseTags("filter tags", []string{""}); err == nil {
		t.Error("an empty tag accepted")
	}
	if _, err := ParseTags("filter tags", []string{strings.Repeat("é", 17)}); err == nil {
		t.Error("a 17-character tag accepted")
	}
	if _, err := ParseTags("filter tags", []string{strings.Repeat("é", 16)}); err != nil {
		t.Errorf("a 16-character tag refused: %v", err)
	}
	sub, err := ParseTags("filter tags", []string{"red", "blue", "red"})
	if err != nil || len(sub) != 2 {
		t.Fatalf("got %v, %v; want 2 distinct tags", sub, err)
	}
	cases := []struct {
		msg  Tags
		want bool
	}{
		{Tags{"red"}, true},
		{Tags{"green", "blue"}, true},
		{Tags{"green"}, false},
		{nil, false}, // untagged messages reach no tag-filtered subscription
		{Tags{"Red"}, false},
	}
	for _, c := range cases {
		if got := sub.Match(c.msg); got != c.want {
			t.Errorf("%v: got %v, want %v", c.msg, got, c.want)
		}
	}
}

// refMatch is the definition, by recursion on the first binding word.
func refMatch(b BindingKey, rk RoutingKey) bool {
	if len(b) == 0 {
		return len(rk) == 0
	}
	switch b[0] {
	case "#":
		for i := 0; i <= len(rk); i++ {
			if refMatch(b[1:], rk[i:]) {
				return true
			}
		}
		return false
	case "*":
		return len(rk) > 0 && refMatch(b[1:], rk[1:])
	default:
		return len(rk) > 0 && rk[0] == b[0] && refMatch(b[1:], rk[1:])
	}
}

// FuzzBindingKeyMatch checks the matcher against refMatch. The fuzzer's
// bytes pick words from a small alphabet, so matches are frequent and
// wildcards dense.
func FuzzBindingKeyMatch(f *testing.F) {
	f.Add([]byte{0, 1, 2}, []byte{1, 1, 2})
	f.Add([]byte{3, 0, 3, 1, 3}, []byte{0, 1, 0, 1})
	f.Add([]byte{4, 3, 4}, []byte{})
	f.Add([]byte{3}, []byte{2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2})
	bindingWords := []string{"a", "b", "c", "#", "*"}
	routingWords := []string{"a", "b", "c"}
	f.Fuzz(func(t *testing.T, bs, rs []byte) {
		if len(bs) == 0 || len(bs) > MaxKeyWords || len(rs) > MaxKeyWords {
			return
		}
		var bw, rw []string
		for _, x := range bs {
			bw = append(bw, bindingWords[int(x)%len(bindingWords)])
		}
		for _, x := range rs {
			rw = append(rw, routingWords[int(x)%len(routingWords)])
		}
		b, err := ParseBindingKey(strings.Join(bw, "."))
		if err != nil {
			t.Fatalf("binding key %q: %v", bw, err)
		}
		var rk RoutingKey
		if len(rw) > 0 {
			if rk, err = ParseRoutingKey(strings.Join(rw, ".")); err != nil {
				t.Fatalf("routing key %q: %v", rw, err)
			}
		}
		if got, want := b.Match(rk), refMatch(b, rk); got != want {
			t.Fatalf("%q matches %q: got %v, reference says %v", b, rk, got, want)
		}
	})
}
