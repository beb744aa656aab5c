package engine

import (
	"errors"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

// FuzzOpenHandle: the receipt-handle decoder takes any string a client
// sends. It never panics, refuses with ReceiptHandleIsInvalid and a message
// of bounded size, and what it accepts is a receipt this key sealed for
// this queue: sealed again it opens to the same receipt, and it fails for
// another queue's name.
func FuzzOpenHandle(f *testing.F) {
	h := handleSealer{key: []byte("0123456789abcdef0123456789abcdef")}
	ref := queues.Ref{Account: "111122223333", Region: "us-east-1", Name: "q"}
	other := queues.Ref{Account: "111122223333", Region: "us-east-1", Name: "q2"}
	valid := h.seal(ref, receipt{gen: 7})
	for _, s := range []string{valid, valid[:len(valid)-1], valid + "A", "", "AQ", "!!!!", valid[:10] + "=" + valid[11:]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, handle string) {
		r, err := h.open(ref, handle)
		if err != nil {
			var se *sqserr.Error
			if !errors.As(err, &se) || se.Code != sqserr.CodeReceiptHandleIsInvalid {
				t.Fatalf("open(%q): want ReceiptHandleIsInvalid, got %v", handle, err)
			}
			if len(se.Message) > 1200 {
				t.Fatalf("error message of %d bytes echoes the handle unbounded", len(se.Message))
			}
			return
		}
		again, err := h.open(ref, h.seal(ref, r))
		if err != nil || again != r {
			t.Fatalf("accepted %q as %+v, but its reseal opens to %+v, %v", handle, r, again, err)
		}
		if _, err := h.open(other, handle); err == nil {
			t.Fatalf("%q opens for another queue's name too", handle)
		}
	})
}
