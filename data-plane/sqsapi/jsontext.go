package sqsapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// encoding/json turns invalid UTF-8 and unpaired surrogate escapes
// ("\ud800") into U+FFFD without a word, which stored a message body other
// than the one sent, with another MD5. SQS refuses such a body with
// InvalidMessageContents (API reference, SendMessage: "If a message
// contains characters outside the allowed set, Amazon SQS rejects the
// message and returns an InvalidMessageContents error") and an attribute
// value with InvalidParameterValue (see msgattr's validateValue). A Query
// request's percent-decoded bytes reach msgattr unchanged and were refused
// so already; now the message texts of a JSON request are re-read as sent,
// so that the same validation refuses them. Other members keep
// encoding/json's reading: names, ids, URLs and ARNs refuse U+FFFD anyway.

// jsonAltersText reports whether encoding/json would change some string
// of the JSON text b: b is not valid UTF-8, or has a surrogate escape not
// in a high-low pair. Outside strings valid JSON has no backslash, so every
// backslash starts an escape.
func jsonAltersText(b []byte) bool {
	if !utf8.Valid(b) {
		return true
	}
	for {
		i := bytes.IndexByte(b, '\\')
		if i < 0 || i+1 >= len(b) {
			return false
		}
		b = b[i+1:]
		if b[0] != 'u' {
			b = b[1:] // a one-letter escape
			continue
		}
		r, ok := hex4(b[1:])
		if !ok {
			return false // not valid JSON: decoding has failed already
		}
		b = b[5:]
		if !utf16.IsSurrogate(r) {
			continue
		}
		if r >= 0xDC00 || len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
			return true
		}
		if low, ok := hex4(b[2:]); !ok || low < 0xDC00 || low > 0xDFFF {
			return true
		}
		b = b[6:]
	}
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// unquoteAsSent decodes the JSON string literal lit as encoding/json does,
// except that invalid UTF-8 is kept as is and an unpaired surrogate escape
// becomes the surrogate's three-byte form (0xED 0xA0 0x80 for \ud800),
// which msgattr reports as that code point. ok is false when lit is not a
// string (null, or absent). Of text that is not valid JSON it makes some
// string, without failing.
func unquoteAsSent(lit []byte) (s string, ok bool) {
	if len(lit) < 2 || lit[0] != '"' {
		return "", false
	}
	lit = lit[1 : len(lit)-1]
	if bytes.IndexByte(lit, '\\') < 0 {
		return string(lit), true
	}
	out := make([]byte, 0, len(lit))
	for i := 0; i < len(lit); {
		c := lit[i]
		if c != '\\' || i+1 == len(lit) {
			out = append(out, c)
			i++
			continue
		}
		c = lit[i+1]
		i += 2
		switch c {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, _ := hex4(lit[i:])
			i += 4
			if utf16.IsSurrogate(r) && r < 0xDC00 && i+6 <= len(lit) && lit[i] == '\\' && lit[i+1] == 'u' {
				if low, _ := hex4(lit[i+2:]); low >= 0xDC00 && low <= 0xDFFF {
					out = utf8.AppendRune(out, utf16.DecodeRune(r, low))
					i += 6
					continue
				}
			}
			if utf16.IsSurrogate(r) {
				// utf8.AppendRune would write U+FFFD for it.
				out = append(out, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
			} else {
				out = utf8.AppendRune(out, r)
			}
		default: // '"', '\\', '/'
			out = append(out, c)
		}
	}
	return string(out), true
}

// rawMessageText holds the raw JSON of a message's texts. Decoded with
// the same member names as messageToSend, it matches keys exactly as the
// request shape does, so each raw text belongs to the member it fills.
type rawMessageText struct {
	MessageBody             json.RawMessage
	MessageAttributes       map[string]rawAttributeText
	MessageSystemAttributes map[string]rawAttributeText
}

type rawAttributeText struct{ StringValue json.RawMessage }

// keepSentText re-reads, after in was decoded from body, the message texts
// of a send as they were sent, when encoding/json changed any string.
func keepSentText(body []byte, in any) error {
	switch in := in.(type) {
	case *sendMessageInput:
		if !jsonAltersText(body) {
			return nil
		}
		var raw rawMessageText
		if err := json.Unmarshal(body, &raw); err != nil {
			return fmt.Errorf("re-read message text: %w", err)
		}
		raw.restore(&in.messageToSend)
	case *sendMessageBatchInput:
		if !jsonAltersText(body) {
			return nil
		}
		var raw struct{ Entries []rawMessageText }
		if err := json.Unmarshal(body, &raw); err != nil {
			return fmt.Errorf("re-read message text: %w", err)
		}
		for i := range min(len(raw.Entries), len(in.Entries)) {
			raw.Entries[i].restore(&in.Entries[i].messageToSend)
		}
	}
	return nil
}

func (r *rawMessageText) restore(m *messageToSend) {
	if s, ok := unquoteAsSent(r.MessageBody); ok {
		m.MessageBody = &s
	}
	restoreAttributes(r.MessageAttributes, m.MessageAttributes)
	restoreAttributes(r.MessageSystemAttributes, m.MessageSystemAttributes)
}

func restoreAttributes(raw map[string]rawAttributeText, into map[string]attributeValue) {
	for name, a := range raw {
		v, found := into[name]
		s, ok := unquoteAsSent(a.StringValue)
		if !found || !ok {
			continue
		}
		v.StringValue = &s
		into[name] = v
	}
}
