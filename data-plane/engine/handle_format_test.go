package engine

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/queues"
)

// A handle is the base64 of the version, data id, message id, generation
// and the MAC, as before the sealer reused its buffers; it opens to the
// receipt it was sealed from, and only with the same queue.
func TestHandleFormatUnchanged(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	if got, want := handleLen, base64.RawURLEncoding.EncodedLen(handleBodyLen+handleMACLen); got != want {
		t.Fatalf("handleLen = %d, want %d", got, want)
	}
	for _, h := range []handleSealer{newHandleSealer(key), {key: key}} {
		for i := range 20 {
			ref := queues.Ref{Account: "111111111111", Region: "us-east-1", Name: fmt.Sprint("q", strings.Repeat("n", i*4))}
			var r receipt
			for j := range r.d {
				r.d[j] = byte(i + j)
			}
			r.id[3], r.gen = byte(i), uint32(i*7919)
			body := []byte{handleVersion}
			body = append(append(body, r.d[:]...), r.id[:]...)
			body = binary.BigEndian.AppendUint32(body, r.gen)
			m := hmac.New(sha256.New, key)
			fmt.Fprintf(m, "%s\x00%s\x00%s\x00", ref.Account, ref.Region, ref.Name)
			m.Write(body)
			want := base64.RawURLEncoding.EncodeToString(append(body, m.Sum(nil)[:handleMACLen]...))
			handle := h.seal(ref, r)
			if handle != want {
				t.Fatalf("seal = %s, want %s", handle, want)
			}
			if got, err := h.open(ref, handle); err != nil || got != r {
				t.Fatalf("open = %+v, %v; want %+v", got, err, r)
			}
			other := ref
			other.Name += "x"
			if _, err := h.open(other, handle); err == nil {
				t.Fatal("a handle opened with another queue's name")
			}
			// base64 skips newlines: such a handle opened before, and does.
			if got, err := h.open(ref, handle[:10]+"\n"+handle[10:]); err != nil || got != r {
				t.Fatalf("open with a newline = %+v, %v; want %+v", got, err, r)
			}
			for _, bad := range []string{handle[:handleLen-1], handle + "A", "!" + handle[1:]} {
				if _, err := h.open(ref, bad); err == nil {
					t.Fatalf("open(%q) succeeded", bad)
				}
			}
		}
	}
}
