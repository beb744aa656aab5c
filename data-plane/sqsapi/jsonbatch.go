package sqsapi

import "strings"

// encoding/json decodes in linear time, but a 4 MiB batch request of
// "{}" entries is 1.4 million entry structs: 2.2 s of CPU and 529 MB
// allocated before checkBatch refuses it. So a batch's entries are
// counted on the raw JSON first, as Query parameters are, and too many are
// refused without decoding any.

// jsonBatchSize returns how many elements the top-level "Entries" member of
// the JSON object body has (the most, if the member repeats), without
// decoding them. Keys match as encoding/json matches them, ignoring case.
// It returns 0 for text that is not a JSON object, which decoding refuses.
func jsonBatchSize(body []byte) int {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return 0
	}
	most := 0
	for i = skipSpace(body, i+1); i < len(body) && body[i] == '"'; i = skipSpace(body, i+1) {
		keyEnd := stringEnd(body, i)
		key := body[i:keyEnd]
		i = skipSpace(body, keyEnd)
		if i >= len(body) || body[i] != ':' {
			return most
		}
		end, n := scanValue(body, skipSpace(body, i+1))
		if n > most && isEntriesKey(key) {
			most = n
		}
		if i = skipSpace(body, end); i >= len(body) || body[i] != ',' {
			return most
		}
	}
	return most
}

func isEntriesKey(lit []byte) bool {
	if len(lit) > 2+6*len("Entries") { // each letter at most a \uXXXX escape
		return false
	}
	key, ok := unquoteAsSent(lit)
	return ok && strings.EqualFold(key, "Entries")
}

func isDelimiter(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string literal starting at
// b[i], or len(b) if it is not closed.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// scanValue returns the index just past the JSON value starting at b[i]
// and, if it is an array, its number of elements.
func scanValue(b []byte, i int) (end, elems int) {
	if i >= len(b) {
		return i, 0
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i), 0
	case '[', '{':
	default: // a number, true, false or null: up to the next delimiter
		for i < len(b) && !isDelimiter(b[i]) {
			i++
		}
		return i, 0
	}
	array := b[i] == '['
	if first := skipSpace(b, i+1); array && first < len(b) && b[first] != ']' {
		elems = 1
	}
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = stringEnd(b, i) - 1
		case '[', '{':
			depth++
		case ']', '}':
			if depth--; depth == 0 {
				return i + 1, elems
			}
		case ',':
			if array && depth == 1 {
				elems++
			}
		}
	}
	return i, elems
}
