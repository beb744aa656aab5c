package msgattr

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"hash"
)

// Transport types encoded in the attribute digest [devguide]: String and
// Number values travel as text, Binary values as bytes.
const (
	transportString byte = 1
	transportBinary byte = 2
)

// MD5OfBody returns the lowercase hex MD5 of the body's UTF-8 bytes, as SQS
// returns in MD5OfMessageBody and MD5OfBody.
func MD5OfBody(body string) string { return MD5OfBodyBytes([]byte(body)) }

// MD5OfBodyBytes is MD5OfBody of a body already in bytes: a send that
// stores the body as bytes converts it once, not once more for the digest.
func MD5OfBodyBytes(body []byte) string {
	sum := md5.Sum(body)
	return hex.EncodeToString(sum[:])
}

// MD5OfAttributes returns the digest SQS returns as MD5OfMessageAttributes,
// or "" when there are no attributes, in which case SQS omits the field.
// On receive it must be computed over the selected attributes only, which is
// what SQS does [localstack].
//
// The algorithm [devguide]: sort attributes by name; for each, write the name
// and the data type (custom label included), each as a 4-byte big-endian
// length followed by its UTF-8 bytes, then one transport-type byte (1 for
// String and Number, 2 for Binary), then the value as a 4-byte length and
// its bytes; MD5 the whole buffer. Names are sorted by byte order; AWS SDKs
// sort Java/JS strings by UTF-16 units, which agrees for the ASCII names
// Validate allows.
func MD5OfAttributes(attrs Attributes) string {
	if len(attrs) == 0 {
		return ""
	}
	h := md5.New()
	for _, name := range sortedNames(attrs) {
		v := attrs[name]
		writeLengthPrefixed(h, []byte(name))
		writeLengthPrefixed(h, []byte(v.DataType))
		if v.isBinary() {
			h.Write([]byte{transportBinary})
			writeLengthPrefixed(h, v.BinaryValue)
		} else {
			h.Write([]byte{transportString})
			writeLengthPrefixed(h, []byte(v.StringValue))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// MD5OfSystemAttributes returns the digest SQS returns as
// MD5OfMessageSystemAttributes: the attribute algorithm applied to the
// system attributes, "" when there are none.
func MD5OfSystemAttributes(attrs Attributes) string { return MD5OfAttributes(attrs) }

func writeLengthPrefixed(h hash.Hash, b []byte) {
	var length [4]byte
	binary.BigEndian.PutUint32(length[:], uint32(len(b)))
	h.Write(length[:])
	h.Write(b)
}
