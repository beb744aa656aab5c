package msgattr

import "strings"

// Value is one message attribute value.
//
// DataType is "String", "Number" or "Binary", optionally followed by a custom
// label such as "Number.float" or "String.json". String and Number values
// travel in StringValue, Binary values in BinaryValue.
type Value struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// Attributes maps attribute names to their values.
type Attributes map[string]Value

// Base data types [devguide].
const (
	TypeString = "String"
	TypeNumber = "Number"
	TypeBinary = "Binary"
)

// Limits [devguide].
const (
	MaxAttributes     = 10
	MaxNameLength     = 256
	MaxDataTypeLength = 256
)

// baseType returns the part of dataType before the custom label, e.g.
// "Number" for "Number.float". It does not check that the result is valid.
func baseType(dataType string) string {
	base, _, _ := strings.Cut(dataType, ".")
	return base
}

// isBinary reports whether the value travels as bytes rather than text: only
// the Binary base type does [devguide].
func (v Value) isBinary() bool { return baseType(v.DataType) == TypeBinary }

// Size returns the bytes attrs count toward a queue's MaximumMessageSize:
// "All components of a message attribute are included in the message size
// restriction" [devguide], i.e. name, data type and value for each.
// Both value fields are counted so that Size needs no prior validation.
func Size(attrs Attributes) int {
	n := 0
	for name, v := range attrs {
		n += len(name) + len(v.DataType) + len(v.StringValue) + len(v.BinaryValue)
	}
	return n
}
