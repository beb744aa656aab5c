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
	// macs holds keyed HMACs to reuse: a new one is five allocations, and
	// every received and every deleted message takes one. Nil makes a new
	// one each time.
	macs *sync.Pool
}

func newHandleSealer(key []byte) handleSealer {
	return handleSealer{key: key, macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

func (h handleSealer) mac(ref queues.Ref, body []byte) []byte {
	var m hash.Hash
	if h.macs != nil {
		m = h.macs.Get().(hash.Hash)
		m.Reset()
		defer h.macs.Put(m)
	} else {
		m = hmac.New(sha256.New, h.key)
	}
	in := make([]byte, 0, len(ref.Account)+len(ref.Region)+len(ref.Name)+3+len(body))
	for _, part := range []string{ref.Account, ref.Region, ref.Name} {
		in = append(append(in, part...), 0)
	}
	m.Write(append(in, body...))
	return m.Sum(in[:0])[:handleMACLen]
}

func (h handleSealer) seal(ref queues.Ref, r receipt) string {
	body := make([]byte, 0, handleBodyLen+handleMACLen)
	body = append(body, handleVersion)
	body = append(body, r.d[:]...)
	body = append(body, r.id[:]...)
	body = binary.BigEndian.AppendUint32(body, r.gen)
	return base64.RawURLEncoding.EncodeToString(append(body, h.mac(ref, body)...))
}

func (h handleSealer) open(ref queues.Ref, handle string) (receipt, error) {
	raw, err := base64.RawURLEncoding.DecodeString(handle)
	if err != nil || len(raw) != handleBodyLen+handleMACLen || raw[0] != handleVersion ||
		!hmac.Equal(raw[handleBodyLen:], h.mac(ref, raw[:handleBodyLen])) {
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

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func errHandleExpired(handle string) *sqserr.Error {
	return errorf(sqserr.CodeInvalidParameterValue, "Value %s for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", truncate(handle, 64))
}
