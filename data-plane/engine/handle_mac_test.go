package engine

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/queues"
)

// TestHandleMACUnchanged: the pooled MAC is the one handles were sealed
// with before (HMAC-SHA256 of "account\0region\0name\0" and the body), so
// handles given out by an older node still open, pooled or not, and a
// pooled HMAC left by one call does not leak into the next.
func TestHandleMACUnchanged(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	pooled, plain := newHandleSealer(key), handleSealer{key: key}
	for i := range 20 {
		ref := queues.Ref{Account: "111111111111", Region: "us-east-1", Name: fmt.Sprint("q", i)}
		body := bytes.Repeat([]byte{byte(i)}, handleBodyLen)
		m := hmac.New(sha256.New, key)
		fmt.Fprintf(m, "%s\x00%s\x00%s\x00", ref.Account, ref.Region, ref.Name)
		m.Write(body)
		want := m.Sum(nil)[:handleMACLen]
		if got := pooled.mac(ref, body); !bytes.Equal(got, want) {
			t.Fatalf("pooled mac %x, want %x", got, want)
		}
		if got := plain.mac(ref, body); !bytes.Equal(got, want) {
			t.Fatalf("mac %x, want %x", got, want)
		}
	}
}
