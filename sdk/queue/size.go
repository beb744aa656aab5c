package queue

// MaxPayload is SQS's limit on one message and on one batch request: the
// bodies plus the message attributes, 1 MiB.
const MaxPayload = 1 << 20

// size is what m counts against MaxPayload, as SQS counts it: the body's
// bytes plus, for each attribute, its name, data type and value. The
// AWSTraceHeader system attribute does not count.
func (m *Message) size() int {
	n := len(m.Body)
	for name, a := range m.Attributes {
		n += len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}
