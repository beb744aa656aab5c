package msgattr

import "strings"

// Select returns the attributes a ReceiveMessage call asked for with
// MessageAttributeNames [apiref ReceiveMessage], as SQS answers it
// [localstack test_receive_message_message_attribute_names_filters]:
//   - "All", ".*" and "*" select every attribute;
//   - "prefix.*" selects names starting with prefix ("Hel.*" selects both
//     "Hello" and "Help.Me");
//   - any other entry selects the attribute of exactly that name, if any;
//     malformed names such as "AWS." select nothing rather than failing.
//
// nil or empty names select nothing. The result is nil when nothing is
// selected; it shares values (including BinaryValue arrays) with attrs.
func Select(attrs Attributes, names []string) Attributes {
	var selected Attributes
	add := func(name string, v Value) {
		if selected == nil {
			selected = make(Attributes)
		}
		selected[name] = v
	}
	for _, filter := range names {
		if filter == "All" || filter == "*" {
			filter = ".*"
		}
		if prefix, isPrefix := strings.CutSuffix(filter, ".*"); isPrefix {
			for name, v := range attrs {
				if strings.HasPrefix(name, prefix) {
					add(name, v)
				}
			}
			continue
		}
		if v, ok := attrs[filter]; ok {
			add(filter, v)
		}
	}
	return selected
}
