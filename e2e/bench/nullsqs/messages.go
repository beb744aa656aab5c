package nullsqs

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// cannedCount is how many distinct canned bodies ReceiveMessage cycles
// through; a few suffice, they only need to be valid and of the right size.
const cannedCount = 16

type cannedMessage struct {
	body string
	md5  string
}

// buildCanned pre-builds bodies of exactly size bytes with their MD5s, so
// a receive without a BodySource costs no hashing.
func buildCanned(size int) []cannedMessage {
	out := make([]cannedMessage, cannedCount)
	for i := range out {
		head := fmt.Sprintf("nullsqs canned message %d ", i)
		body := head
		if len(head) < size {
			body = head + strings.Repeat(".", size-len(head))
		} else {
			body = head[:size]
		}
		out[i] = cannedMessage{body: body, md5: md5Hex(body)}
	}
	return out
}

// message returns the body and its MD5 for the n-th received message.
func (s *Server) message(n int64) (body, sum string) {
	if s.opts.Bodies != nil {
		body = s.opts.Bodies(n)
		return body, md5Hex(body)
	}
	c := s.canned[n%int64(len(s.canned))]
	return c.body, c.md5
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// messageID is a UUID-shaped id unique per message within one server.
func messageID(kind byte, n int64) string {
	return fmt.Sprintf("%08x-0000-4000-8%03x-%012x", uint32(n>>48), kind, n&0xffffffffffff)
}

// receiptHandle names the n-th received message; deletes accept any handle,
// but a real-looking one keeps the request sizes honest.
func receiptHandle(n int64) string {
	return "AQEB" + strconv.FormatInt(n, 36) + "nullsqs-receipt-handle-padding-to-a-realistic-length"
}
