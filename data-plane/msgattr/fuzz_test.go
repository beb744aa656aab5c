package msgattr

import "testing"

// FuzzValidate checks that validation, digests, sizing and selection never
// panic on any attribute, and that whatever Validate accepts is digestible
// and selectable.
func FuzzValidate(f *testing.F) {
	f.Add("City", "String", "Any City", []byte(nil), "All")
	f.Add("Price", "Number.float", "-1.5e3", []byte(nil), "Pri.*")
	f.Add("Blob", "Binary.png", "", []byte{0, 0xff}, ".*")
	f.Add("AWS.x", "String", "v", []byte(nil), "AWS.")
	f.Add("a..b", "Number", "1e999999999999", []byte("x"), "a")
	f.Add("", "String.", "\x00\xff", []byte(nil), "")
	f.Add("n", "Number", "1e-99999999999999999999", []byte(nil), "*")
	f.Fuzz(func(t *testing.T, name, dataType, stringValue string, binaryValue []byte, filter string) {
		attrs := Attributes{name: {DataType: dataType, StringValue: stringValue, BinaryValue: binaryValue}}
		err := Validate(attrs)
		digest := MD5OfAttributes(attrs)
		if len(digest) != 32 {
			t.Fatalf("MD5OfAttributes = %q, want 32 hex digits", digest)
		}
		_ = ValidateSystem(attrs)
		_ = MD5OfSystemAttributes(attrs)
		_ = ValidateBody(stringValue)
		if Size(attrs) < len(name) {
			t.Fatalf("Size smaller than the name alone")
		}
		selected := Select(attrs, []string{filter})
		if len(selected) > len(attrs) {
			t.Fatalf("Select returned more attributes than it was given")
		}
		if err == nil && MD5OfAttributes(Select(attrs, []string{"All"})) != digest {
			t.Fatalf("selecting All changed the digest of valid attributes")
		}
	})
}
