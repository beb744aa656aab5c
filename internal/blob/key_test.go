package blob

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	for _, key := range []string{"a", "a/b/c", "a-c", "..a", "a..", ".hidden/x", "é/ü", "sp ace", strings.Repeat("k", MaxKeyLength)} {
		if err := ValidateKey(key); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", key, err)
		}
	}
	for _, key := range []string{
		"", "/abs", "trailing/", "a//b", ".", "..", "./a", "a/.", "a/../b", "a\\b", "a\x00b", "\xff",
		strings.Repeat("k", MaxKeyLength+1),
	} {
		if err := ValidateKey(key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
}

func TestNewPage(t *testing.T) {
	objs := func(keys ...string) []ObjectInfo {
		var out []ObjectInfo
		for _, k := range keys {
			out = append(out, ObjectInfo{Key: k})
		}
		return out
	}
	if p := NewPage(objs("a", "b"), 2); len(p.Objects) != 2 || p.Next != "" {
		t.Errorf("full last page: %+v, want 2 objects and no Next", p)
	}
	if p := NewPage(objs("a", "b", "c"), 2); len(p.Objects) != 2 || p.Next != "b" {
		t.Errorf("page with more to come: %+v, want 2 objects and Next b", p)
	}
	if p := NewPage(nil, 2); len(p.Objects) != 0 || p.Next != "" {
		t.Errorf("empty page: %+v", p)
	}
}

func TestPageSize(t *testing.T) {
	for limit, want := range map[int]int{-1: DefaultListLimit, 0: DefaultListLimit, 7: 7, int(^uint(0) >> 1): maxPageSize} {
		if got := (ListOptions{Limit: limit}).PageSize(); got != want {
			t.Errorf("PageSize(Limit %d) = %d, want %d", limit, got, want)
		}
	}
}
