package kv_test

import (
	"bytes"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv"
)

func TestPrefixEnd(t *testing.T) {
	for _, tc := range []struct{ prefix, want []byte }{
		{[]byte("C/q/"), []byte("C/q0")},
		{[]byte{'a', 0xff}, []byte{'b'}},
		{[]byte{0xff, 0xff}, nil},
		{nil, nil},
	} {
		prefix := bytes.Clone(tc.prefix)
		if got := kv.PrefixEnd(prefix); !bytes.Equal(got, tc.want) || (tc.want == nil) != (got == nil) {
			t.Errorf("PrefixEnd(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
		if !bytes.Equal(prefix, tc.prefix) {
			t.Errorf("PrefixEnd changed its argument to %q", prefix)
		}
	}
}
