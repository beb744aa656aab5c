package msgattr

import (
	"crypto/md5"
	"encoding/hex"
	"testing"
)

func str(v string) Value      { return Value{DataType: TypeString, StringValue: v} }
func bin(v []byte) Value      { return Value{DataType: TypeBinary, BinaryValue: v} }
func num(v string) Value      { return Value{DataType: TypeNumber, StringValue: v} }
func typed(t, v string) Value { return Value{DataType: t, StringValue: v} }

// Digests published by AWS or recorded from real SQS.
func TestMD5OfAttributesKnownVectors(t *testing.T) {
	tests := []struct {
		name   string
		source string
		attrs  Attributes
		want   string
	}{
		{
			name:   "api reference SendMessage example",
			source: "Amazon SQS API Reference, SendMessage, JSON protocol sample response",
			attrs: Attributes{
				"my_attribute_name_1": str("my_attribute_value_1"),
				"my_attribute_name_2": str("my_attribute_value_2"),
			},
			want: "c48838208d2b4e14e3ca0093a8443f09",
		},
		{
			name:   "three strings, one dotted name",
			source: "LocalStack test_sqs.snapshot.json, recorded against SQS: all_name",
			attrs: Attributes{
				"General": str("Kenobi"),
				"Hello":   str("There"),
				"Help.Me": str("Me"),
			},
			want: "4c360f3fdafd970e05fae2f149d997f5",
		},
		{
			name:   "subset after selecting exact names",
			source: "LocalStack test_sqs.snapshot.json, recorded against SQS: only_existing",
			attrs:  Attributes{"General": str("Kenobi"), "Hello": str("There")},
			want:   "fca026605781cb4126a1e9044df24232",
		},
		{
			name:   "single string",
			source: "LocalStack test_sqs.snapshot.json, recorded against SQS: existing_and_non_existing",
			attrs:  Attributes{"Hello": str("There")},
			want:   "a311262e065454b75da111d535b8dacd",
		},
		{
			name:   "subset after prefix selection",
			source: "LocalStack test_sqs.snapshot.json, recorded against SQS: prefix_filter",
			attrs:  Attributes{"Hello": str("There"), "Help.Me": str("Me")},
			want:   "83fee93c1bcd8b9a5a923ffacdc636c7",
		},
		{
			name:   "Foo=Bar",
			source: "LocalStack test_sqs.snapshot.json, recorded against SQS: all_system_and_message_attributes",
			attrs:  Attributes{"Foo": str("Bar")},
			want:   "ae7155c6026991b6d54b11589678bf9c",
		},
		{
			name:   "binary with a control byte",
			source: "LocalStack test_sqs.snapshot.json, recorded against SQS: test_send_message_with_binary_attributes",
			attrs: Attributes{
				"attr1": bin([]byte("traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01")),
			},
			want: "8cbe4db156db8a94db8b801b7addb984",
		},
		{
			name:   "two strings",
			source: "ydb-platform/ydb ydb/core/ymq/actor/ut/attributes_md5_ut.cpp, AmazonSampleWithString",
			attrs: Attributes{
				"test_attribute_name_2": str("test_attribute_value_2"),
				"test_attribute_name_1": str("test_attribute_value_1"),
			},
			want: "d53f3b558fe951154770f25cb63dbba9",
		},
		{
			name:   "binary sample",
			source: "ydb-platform/ydb ydb/core/ymq/actor/ut/attributes_md5_ut.cpp, AmazonSampleWithBinary",
			attrs:  Attributes{"test_attribute_name": bin([]byte("test_attribute_value"))},
			want:   "23f6bd27ea87aab7dfeadcc9aebee495",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MD5OfAttributes(tt.attrs); got != tt.want {
				t.Errorf("MD5OfAttributes = %s, want %s (source: %s)", got, tt.want, tt.source)
			}
		})
	}
}

// The encoding laid out by hand for one attribute, so a mistake in the
// length prefix or transport byte shows up independently of any vector.
func TestMD5OfAttributesEncodingLayout(t *testing.T) {
	buf := []byte{
		0, 0, 0, 1, 'n', // name
		0, 0, 0, 12, 'N', 'u', 'm', 'b', 'e', 'r', '.', 'f', 'l', 'o', 'a', 't', // data type with label
		1,                              // String transport
		0, 0, 0, 4, '3', '.', '1', '4', // value
	}
	sum := md5.Sum(buf)
	want := hex.EncodeToString(sum[:])
	if got := MD5OfAttributes(Attributes{"n": typed("Number.float", "3.14")}); got != want {
		t.Errorf("MD5OfAttributes = %s, want %s", got, want)
	}
}

// String, Number and Binary base types with and without custom labels. The
// expected digests were computed with an independent Python implementation
// of the devguide algorithm.
func TestMD5OfAttributesAllTypes(t *testing.T) {
	tests := []struct {
		name  string
		attrs Attributes
		want  string
	}{
		{"String", Attributes{"s": str("héllo")}, "a4890c3c7aae77932d8b92acdc5c2527"},
		{"Number", Attributes{"n": num("-1.5e3")}, "9e9b63e0e645b8d262dc01507a015274"},
		{"Binary.png", Attributes{"b.bin": Value{DataType: "Binary.png", BinaryValue: []byte{0, 0xff, 0x10}}},
			"a72ac0d8825fe7065f6faf5fd8dd3a38"},
		{"mixed with custom labels", Attributes{
			"s":      str("héllo"),
			"s.json": typed("String.json", `{"a":1}`),
			"n":      num("-1.5e3"),
			"n.f":    typed("Number.float", "3.14"),
			"b.bin":  Value{DataType: "Binary.png", BinaryValue: []byte{0, 0xff, 0x10}},
		}, "66acbbb1c91a7011f7d8a7bad6b1c626"},
		{
			// The digest an open-source SQS emulator's test suite expects
			// (its tests send through the AWS SDK for JavaScript v3).
			"Number.bigint", Attributes{"UserId": typed("Number.bigint", "1234567890123456789012")},
			"797ab158d73dcb5242dedc4412c8e855",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MD5OfAttributes(tt.attrs); got != tt.want {
				t.Errorf("MD5OfAttributes = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMD5OfAttributesEmpty(t *testing.T) {
	if got := MD5OfAttributes(nil); got != "" {
		t.Errorf("MD5OfAttributes(nil) = %q, want empty", got)
	}
	if got := MD5OfAttributes(Attributes{}); got != "" {
		t.Errorf("MD5OfAttributes({}) = %q, want empty", got)
	}
}

func TestMD5OfSystemAttributes(t *testing.T) {
	// Same algorithm as user attributes [devguide: system attributes are
	// "structured exactly like message attributes"]. The digest an open-source
	// SQS emulator's test suite expects; not recorded from SQS.
	got := MD5OfSystemAttributes(Attributes{"AWSTraceHeader": str("some-trace-id")})
	if want := "fdce4f2818803f2f73becc09a54792c0"; got != want {
		t.Errorf("MD5OfSystemAttributes = %s, want %s", got, want)
	}
	if got := MD5OfSystemAttributes(nil); got != "" {
		t.Errorf("MD5OfSystemAttributes(nil) = %q, want empty", got)
	}
}

func TestMD5OfBody(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"empty", "", "d41d8cd98f00b204e9800998ecf8427e"}, // RFC 1321 test suite
		{"api reference example", "This is a test message", "fafb00f5732ab283681e124bf8747ed1"},
		{"recorded against SQS (LocalStack snapshot)", "msg", "6e2baaf3b97dbeef01c0043275f9a0e7"},
		// Multi-byte UTF-8 including a 4-byte sequence; computed with md5sum.
		{"non-ASCII", "Grüße, 世界! 🚀", "2c1173f6566bb10220d38d2b84930565"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MD5OfBody(tt.body); got != tt.want {
				t.Errorf("MD5OfBody(%q) = %s, want %s", tt.body, got, tt.want)
			}
		})
	}
}
