package sqsapi

import (
	"bytes"
	"sync"
)

// maxPooledReply is the largest reply buffer kept for reuse: a receive of
// ten 256 KiB messages is about 2.6 MiB, and keeping buffers of that size
// for the occasional large reply would hold memory for nothing.
const maxPooledReply = 256 << 10

// replyBuffers lends the buffers replies are encoded into, so a reply does
// not grow a new one from nothing each time.
type replyBuffers struct{ pool sync.Pool }

func (r *replyBuffers) get() *bytes.Buffer {
	if b, ok := r.pool.Get().(*bytes.Buffer); ok {
		return b
	}
	return new(bytes.Buffer)
}

// put takes b back; the caller must be done with b's bytes (an
// http.ResponseWriter's Write does not keep them).
func (r *replyBuffers) put(b *bytes.Buffer) {
	if b.Cap() > maxPooledReply {
		return
	}
	b.Reset()
	r.pool.Put(b)
}
