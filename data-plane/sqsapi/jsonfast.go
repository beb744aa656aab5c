package sqsapi

import (
	"encoding/base64"
	"encoding/json"
)

// encoding/json spent as much CPU decoding a SendMessageBatch of ten 256 B
// messages as the engine spent storing them (most of it in its validity
// pre-pass and reflection). The hot requests (sends, receives, deletes) are
// first read by fastJSON, a decoder for the plain form SDKs send: members
// named exactly, each once, with the JSON types of the shape, no nulls and
// no members the shape lacks. On anything else it gives up and the request
// is decoded by encoding/json, so every other input gets encoding/json's
// result or error as before (FuzzFastJSONAsEncodingJSON checks that what
// it accepts, encoding/json decodes the same). A string with escapes or
// non-ASCII bytes is handed to encoding/json on its own, so strings keep
// encoding/json's reading too (keepSentText then re-reads message text).

// decodeFastJSON fills in from body when in is a shape it knows and body is
// in its plain form; ok is false otherwise, with in unchanged.
func decodeFastJSON(body []byte, in any) (ok bool) {
	r := &fastJSON{b: body}
	switch in := in.(type) {
	case *sendMessageBatchInput:
		return whole(r, in, r.sendMessageBatch)
	case *sendMessageInput:
		return whole(r, in, r.sendMessage)
	case *receiveMessageInput:
		return whole(r, in, r.receiveMessage)
	case *deleteMessageBatchInput:
		return whole(r, in, r.deleteMessageBatch)
	case *deleteMessageInput:
		return whole(r, in, r.deleteMessage)
	}
	return false
}

// whole reads all of r into in with read, or leaves in zero.
func whole[T any](r *fastJSON, in *T, read func(*T) bool) bool {
	if read(in) {
		if r.space(); r.i == len(r.b) {
			return true
		}
	}
	var zero T
	*in = zero
	return false
}

// fastJSON reads b from i on.
type fastJSON struct {
	b []byte
	i int
}

func (r *fastJSON) sendMessageBatch(in *sendMessageBatchInput) bool {
	return r.object(func(key []byte) bool {
		switch string(key) {
		case "QueueUrl":
			return r.str(&in.QueueUrl)
		case "Entries":
			in.Entries = make([]sendMessageBatchEntry, 0, maxBatchEntries)
			return r.array(func() bool {
				in.Entries = append(in.Entries, sendMessageBatchEntry{})
				e := &in.Entries[len(in.Entries)-1]
				return r.object(func(key []byte) bool {
					if string(key) == "Id" {
						return r.str(&e.Id)
					}
					return r.messageMember(key, &e.messageToSend)
				})
			})
		}
		return false
	})
}

func (r *fastJSON) sendMessage(in *sendMessageInput) bool {
	return r.object(func(key []byte) bool {
		if string(key) == "QueueUrl" {
			return r.str(&in.QueueUrl)
		}
		return r.messageMember(key, &in.messageToSend)
	})
}

func (r *fastJSON) deleteMessage(in *deleteMessageInput) bool {
	return r.object(func(key []byte) bool {
		switch string(key) {
		case "QueueUrl":
			return r.str(&in.QueueUrl)
		case "ReceiptHandle":
			return r.str(&in.ReceiptHandle)
		}
		return false
	})
}

func (r *fastJSON) messageMember(key []byte, m *messageToSend) bool {
	switch string(key) {
	case "MessageBody":
		return r.strPtr(&m.MessageBody)
	case "DelaySeconds":
		return r.intPtr(&m.DelaySeconds)
	case "MessageDeduplicationId":
		return r.strPtr(&m.MessageDeduplicationId)
	case "MessageGroupId":
		return r.strPtr(&m.MessageGroupId)
	case "MessageAttributes":
		return r.attributes(&m.MessageAttributes)
	case "MessageSystemAttributes":
		return r.attributes(&m.MessageSystemAttributes)
	}
	return false
}

func (r *fastJSON) attributes(into *map[string]attributeValue) bool {
	*into = map[string]attributeValue{}
	// The names are the map's keys, as many as the body holds: a repeat is
	// found in the map, not by object's list of seen keys, whose check
	// would take time square in their number.
	return r.members(func(name []byte) bool {
		if _, repeated := (*into)[string(name)]; repeated {
			return false // encoding/json keeps the last: it reads this one
		}
		var v attributeValue
		ok := r.object(func(key []byte) bool {
			switch string(key) {
			case "DataType":
				return r.str(&v.DataType)
			case "StringValue":
				return r.strPtr(&v.StringValue)
			case "BinaryValue":
				return r.base64(&v.BinaryValue)
			}
			return false // list values are rare: encoding/json reads them
		})
		(*into)[string(name)] = v
		return ok
	})
}

func (r *fastJSON) receiveMessage(in *receiveMessageInput) bool {
	return r.object(func(key []byte) bool {
		switch string(key) {
		case "QueueUrl":
			return r.str(&in.QueueUrl)
		case "MaxNumberOfMessages":
			return r.intPtr(&in.MaxNumberOfMessages)
		case "VisibilityTimeout":
			return r.intPtr(&in.VisibilityTimeout)
		case "WaitTimeSeconds":
			return r.intPtr(&in.WaitTimeSeconds)
		case "AttributeNames":
			return r.strings(&in.AttributeNames)
		case "MessageSystemAttributeNames":
			return r.strings(&in.MessageSystemAttributeNames)
		case "MessageAttributeNames":
			return r.strings(&in.MessageAttributeNames)
		case "ReceiveRequestAttemptId":
			return r.str(&in.ReceiveRequestAttemptId)
		}
		return false
	})
}

func (r *fastJSON) deleteMessageBatch(in *deleteMessageBatchInput) bool {
	return r.object(func(key []byte) bool {
		switch string(key) {
		case "QueueUrl":
			return r.str(&in.QueueUrl)
		case "Entries":
			in.Entries = make([]deleteMessageBatchEntry, 0, maxBatchEntries)
			return r.array(func() bool {
				in.Entries = append(in.Entries, deleteMessageBatchEntry{})
				e := &in.Entries[len(in.Entries)-1]
				return r.object(func(key []byte) bool {
					switch string(key) {
					case "Id":
						return r.str(&e.Id)
					case "ReceiptHandle":
						return r.str(&e.ReceiptHandle)
					}
					return false
				})
			})
		}
		return false
	})
}

func (r *fastJSON) space() {
	r.i = skipSpace(r.b, r.i)
}

// next skips space and takes c if it comes next.
func (r *fastJSON) next(c byte) bool {
	r.space()
	if r.i < len(r.b) && r.b[r.i] == c {
		r.i++
		return true
	}
	return false
}

// object reads an object of a struct shape, calling member after each key
// with the reader at its value. A key that repeats (encoding/json merges
// the values) gives up. Only the keys member took are kept to find
// repeats, so there are at most as many as the shape has members.
func (r *fastJSON) object(member func(key []byte) bool) bool {
	var seenKeys [8][]byte
	seen := seenKeys[:0]
	return r.members(func(key []byte) bool {
		for _, k := range seen {
			if string(k) == string(key) {
				return false
			}
		}
		seen = append(seen, key)
		return member(key)
	})
}

// members reads an object, calling member after each key with the reader
// at its value. A key that is not plain ASCII gives up.
func (r *fastJSON) members(member func(key []byte) bool) bool {
	if !r.next('{') {
		return false
	}
	if r.next('}') {
		return true
	}
	for {
		r.space()
		key, ok := r.plain()
		if !ok || !r.next(':') {
			return false
		}
		r.space()
		if !member(key) {
			return false
		}
		if r.next('}') {
			return true
		}
		if !r.next(',') {
			return false
		}
	}
}

// array reads an array, calling elem with the reader at each element.
func (r *fastJSON) array(elem func() bool) bool {
	if !r.next('[') {
		return false
	}
	if r.next(']') {
		return true
	}
	for {
		r.space()
		if !elem() {
			return false
		}
		if r.next(']') {
			return true
		}
		if !r.next(',') {
			return false
		}
	}
}

// plain reads a string of printable ASCII without escapes; the bytes are
// b's.
func (r *fastJSON) plain() ([]byte, bool) {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return nil, false
	}
	for j := r.i + 1; j < len(r.b); j++ {
		switch c := r.b[j]; {
		case c == '"':
			s := r.b[r.i+1 : j]
			r.i = j + 1
			return s, true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return nil, false
		}
	}
	return nil, false
}

// str reads a string value; one with escapes or other bytes is read by
// encoding/json, so it is read exactly as encoding/json reads it.
func (r *fastJSON) str(into *string) bool {
	if s, ok := r.plain(); ok {
		*into = string(s)
		return true
	}
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return false
	}
	end := stringEnd(r.b, r.i)
	if err := json.Unmarshal(r.b[r.i:end], into); err != nil {
		return false
	}
	r.i = end
	return true
}

func (r *fastJSON) strPtr(into **string) bool {
	s := new(string)
	*into = s
	return r.str(s)
}

func (r *fastJSON) strings(into *[]string) bool {
	*into = []string{}
	return r.array(func() bool {
		var s string
		if !r.str(&s) {
			return false
		}
		*into = append(*into, s)
		return true
	})
}

// intPtr reads an integer of at most 18 digits, without fraction or
// exponent (which encoding/json refuses for an int).
func (r *fastJSON) intPtr(into **int) bool {
	j := r.i
	neg := j < len(r.b) && r.b[j] == '-'
	if neg {
		j++
	}
	start, n := j, 0
	for ; j < len(r.b) && r.b[j] >= '0' && r.b[j] <= '9'; j++ {
		n = n*10 + int(r.b[j]-'0')
	}
	digits := j - start
	if digits == 0 || digits > 18 || (digits > 1 && r.b[start] == '0') {
		return false
	}
	if j < len(r.b) && !isDelimiter(r.b[j]) {
		return false
	}
	if neg {
		n = -n
	}
	*into = &n
	r.i = j
	return true
}

// base64 reads a []byte as encoding/json does: standard base64 in a string.
func (r *fastJSON) base64(into *[]byte) bool {
	var s string
	if !r.str(&s) {
		return false
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, []byte(s))
	if err != nil {
		return false
	}
	*into = b[:n]
	return true
}
