package msgattr

import (
	"maps"
	"slices"
)

// Validate checks the user message attributes of one message: at most
// MaxAttributes of them, and a valid name, data type and value for each.
// Attributes are checked in name order so the error reported for a request
// with several faults is deterministic. nil or empty attrs are valid.
//
// Every failure has code InvalidParameterValue. Where a message text has a
// source, the check's comment names it; texts without one follow the
// "Message (user) attribute ..." style of the verified ones (several as an
// open-source SQS emulator words them) and were not seen from real SQS.
// validate_test.go names, per text, the recorded response or its absence.
func Validate(attrs Attributes) error {
	if len(attrs) > MaxAttributes {
		// Text of a real SQS rejection (HTTP 400, AWS request id) quoted in
		// open-telemetry/opentelemetry-java-instrumentation#13799; the code is
		// not in that trace.
		return invalidParameter("Number of message attributes [%d] exceeds the allowed maximum [%d].",
			len(attrs), MaxAttributes)
	}
	for _, name := range sortedNames(attrs) {
		if err := validateName(name); err != nil {
			return err
		}
		if err := validateValue(name, attrs[name]); err != nil {
			return err
		}
	}
	return nil
}

// sortedNames returns nil for no attributes without building an iterator:
// most messages have none, and maps.Keys and slices.Sorted cost two
// allocations even for an empty map (three calls per sent message).
func sortedNames(attrs Attributes) []string {
	if len(attrs) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(attrs))
}
