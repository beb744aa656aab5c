package engine

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"sync"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

// A receipt handle names one receive of one message: the queue's data id,
// the message id and the receive generation, sealed with an HMAC over the
// account, region and queue name. A forged handle, or one used with
// another tenant's or another queue's name, fails the MAC.
type receipt struct {
	d   did
	id  msgID
	gen uint32
}

const (
	handleVersion = 1
	handleMACLen  = 16
	handleBodyLen = 1 + didLen + msgIDLen + 4
)

type handleSealer struct {
	key []byte
	// macs holds macStates to reuse: a new HMAC is five allocations, and
	// every received and every deleted message takes one. Nil makes a new
	// one each time.
	macs *sync.Pool
}

// macState is a keyed HMAC with the scratch its input is built in, reused
// together so that sealing or opening a handle allocates only the handle.
type macState struct {
	h   hash.Hash
	buf []byte
}

// handleLen is the length of a handle: its bytes in unpadded base64.
const handleLen = ((handleBodyLen+handleMACLen)*8 + 5) / 6

func newHandleSealer(key []byte) handleSealer {
	return handleSealer{key: key, macs: &sync.Pool{New: func() any { return &macState{h: hmac.New(sha256.New, key)} }}}
}

func (h handleSealer) state() *macState {
	if h.macs == nil {
		return &macState{h: hmac.New(sha256.New, h.key)}
	}
	return h.macs.Get().(*macState)
}

func (h handleSealer) release(s *macState) {
	if h.macs != nil {
		h.macs.Put(s)
	}
}

// mac returns the MAC of body for ref's queue (tests compare it).
func (h handleSealer) mac(ref queues.Ref, body []byte) []byte {
	s := h.state()
	defer h.release(s)
	out := make([]byte, handleMACLen)
	s.sum(out, ref, body)
	return out
}

// sum writes the first handleMACLen bytes of the HMAC of
// "account\0region\0name\0" and body to dst.
func (s *macState) sum(dst []byte, ref queues.Ref, body []byte) {
	s.h.Reset()
	in := s.buf[:0]
	for _, part := range [...]string{ref.Account, ref.Region, ref.Name} {
		in = append(append(in, part...), 0)
	}
	in = append(in, body...)
	s.h.Write(in)
	s.buf = in[:0]
	// The input is longer than a SHA-256 sum, so this writes over it
	// without growing it.
	copy(dst, s.h.Sum(in[:0])[:handleMACLen])
}

func (h handleSealer) seal(ref queues.Ref, r receipt) string {
	var raw [handleBodyLen + handleMACLen]byte
	raw[0] = handleVersion
	copy(raw[1:], r.d[:])
	copy(raw[1+didLen:], r.id[:])
	binary.BigEndian.PutUint32(raw[1+didLen+msgIDLen:], r.gen)
	s := h.state()
	s.sum(raw[handleBodyLen:], ref, raw[:handleBodyLen])
	h.release(s)
	var out [handleLen]byte
	base64.RawURLEncoding.Encode(out[:], raw[:])
	return string(out[:])
}

func (h handleSealer) open(ref queues.Ref, handle string) (receipt, error) {
	var raw [handleBodyLen + handleMACLen]byte
	s := h.state()
	ok := s.decode(raw[:], handle)
	var mac [handleMACLen]byte
	if ok {
		s.sum(mac[:], ref, raw[:handleBodyLen])
	}
	h.release(s)
	if !ok || raw[0] != handleVersion || !hmac.Equal(raw[handleBodyLen:], mac[:]) {
		// SQS's words, the handle in plain double quotes: AWS's SQS
		// developer guide, "Troubleshoot Amazon SQS API errors"
		// (sqs-troubleshooting-api-errors), quotes "The input receipt handle
		// <YOUR RECEIPT HANDLE> is not a valid receipt handle." The double
		// quotes around the handle are not in that example: ours, kept
		// from before (no recorded response with a real handle found).
		// Handles over 1 KiB (SQS's own are shorter) are cut, so a
		// request cannot have megabytes echoed.
		return receipt{}, errorf(sqserr.CodeReceiptHandleIsInvalid, "The input receipt handle \"%s\" is not a valid receipt handle.", truncate(handle, 1024))
	}
	var r receipt
	copy(r.d[:], raw[1:])
	copy(r.id[:], raw[1+didLen:])
	r.gen = binary.BigEndian.Uint32(raw[1+didLen+msgIDLen:])
	return r, nil
}

// decode fills raw with the handle's bytes and reports whether it had
// exactly that many. A handle of the usual length is decoded from the
// state's scratch; any other (base64 skips newlines, so one may still
// decode to the right length) the plain way.
func (s *macState) decode(raw []byte, handle string) bool {
	if len(handle) != handleLen {
		b, err := base64.RawURLEncoding.DecodeString(handle)
		return err == nil && len(b) == len(raw) && copy(raw, b) == len(raw)
	}
	s.buf = append(s.buf[:0], handle...)
	n, err := base64.RawURLEncoding.Decode(raw, s.buf)
	return err == nil && n == len(raw)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func errHandleExpired(handle string) *sqserr.Error {
	return errorf(sqserr.CodeInvalidParameterValue, "Value %s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", truncate(handle, 64))
}
