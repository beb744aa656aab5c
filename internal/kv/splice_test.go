package kv_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv"
)

type splice struct {
	at, remove int
	insert     string
}

func operand(ss ...splice) []byte {
	var op []byte
	for _, s := range ss {
		op = kv.AppendSplice(op, s.at, s.remove, []byte(s.insert))
	}
	return op
}

// naiveSplices is the rule ApplySplices keeps: each splice in order on
// the result of the last, or false where one falls outside the value.
func naiveSplices(value string, ss []splice) (string, bool) {
	for _, s := range ss {
		if s.at < 0 || s.remove < 0 || s.at > len(value) || s.remove > len(value)-s.at {
			return "", false
		}
		value = value[:s.at] + s.insert + value[s.at+s.remove:]
	}
	return value, true
}

func TestApplySplices(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
		ss    []splice
	}{
		{"none", "abcdef", nil},
		{"same length", "abcdef", []splice{{1, 2, "XY"}}},
		{"grows", "abcdef", []splice{{1, 2, "WXYZ"}}},
		{"shrinks", "abcdef", []splice{{1, 4, "X"}}},
		{"at the end", "abc", []splice{{3, 0, "de"}}},
		{"each on the last", "abcdef", []splice{{1, 2, "WXYZ"}, {1, 4, "Q"}, {0, 1, ""}}},
		{"past the end", "abc", []splice{{2, 2, "x"}}},
		{"beyond the value", "abc", []splice{{4, 0, "x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, ok := naiveSplices(tc.value, tc.ss)
			got, err := kv.ApplySplices([]byte(tc.value), operand(tc.ss...))
			if !ok {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				return
			}
			if err != nil || string(got) != want {
				t.Fatalf("got %q, %v; want %q", got, err, want)
			}
		})
	}
	if _, err := kv.ApplySplices([]byte("abc"), []byte{0x80}); err == nil {
		t.Fatal("a truncated operand applied")
	}
	if _, err := kv.ApplySplices([]byte("abc"), operand(splice{0, 0, "xyz"})[:4]); err == nil {
		t.Fatal("an operand shorter than its insert applied")
	}
}

// The result never shares memory with the value: a store hands the value
// out and may reuse it.
func TestApplySplicesCopies(t *testing.T) {
	value := []byte("abc")
	got, err := kv.ApplySplices(value, nil)
	if err != nil {
		t.Fatal(err)
	}
	value[0] = 'X'
	if string(got) != "abc" {
		t.Fatalf("result changed with the value: %q", got)
	}
}

func FuzzApplySplices(f *testing.F) {
	f.Add("abcdef", uint8(1), uint8(2), "XY", uint8(0), uint8(1), "")
	f.Add("", uint8(0), uint8(0), "a", uint8(1), uint8(0), "b")
	f.Add("abc", uint8(3), uint8(1), "", uint8(0), uint8(0), "")
	f.Fuzz(func(t *testing.T, value string, at1, rm1 uint8, in1 string, at2, rm2 uint8, in2 string) {
		ss := []splice{{int(at1), int(rm1), in1}, {int(at2), int(rm2), in2}}
		want, ok := naiveSplices(value, ss)
		got, err := kv.ApplySplices([]byte(value), operand(ss...))
		switch {
		case !ok && err == nil:
			t.Fatalf("%q %v: got %q, want an error", value, ss, got)
		case ok && (err != nil || !bytes.Equal(got, []byte(want))):
			t.Fatalf("%q %v: got %q, %v; want %q", value, ss, got, err, want)
		case err != nil && !errors.Is(err, kv.ErrBadSplice):
			t.Fatalf("error %v is not ErrBadSplice", err)
		}
	})
}
