package filter

import (
	"fmt"
	"strings"
)

// CMQ's limits on routing and binding keys: at most 64 bytes and 15 dots
// (16 words); a subscription holds at most 5 binding keys.
const (
	MaxKeyBytes    = 64
	MaxKeyWords    = 16
	MaxBindingKeys = 5
	wordAny        = "*" // exactly one word
	wordAnyOrNone  = "#" // zero or more words
)

// KeyError is an invalid routing key, binding key or tag; Reason says why.
type KeyError struct{ Reason string }

func (e *KeyError) Error() string { return e.Reason }

func keyError(format string, args ...any) *KeyError {
	return &KeyError{Reason: fmt.Sprintf(format, args...)}
}

// splitKey checks a routing or binding key's shape and splits it into
// words: 1 to 64 bytes, at most 16 non-empty dot-separated words.
func splitKey(what, key string) ([]string, error) {
	if key == "" || len(key) > MaxKeyBytes {
		return nil, keyError("%s %q must be 1 to %d bytes", what, key, MaxKeyBytes)
	}
	words := strings.Split(key, ".")
	if len(words) > MaxKeyWords {
		return nil, keyError("%s %q has more than %d words", what, key, MaxKeyWords)
	}
	for _, w := range words {
		if w == "" {
			return nil, keyError("%s %q has an empty word", what, key)
		}
	}
	return words, nil
}

// RoutingKey is a message's routing key split into its words. The zero
// value is a message without one: zero words, matched only by "#".
type RoutingKey []string

// ParseRoutingKey checks a message's routing key: 1 to 64 bytes, at most
// 16 non-empty dot-separated words, none holding "*" or "#" (those are
// the binding keys' wildcards).
func ParseRoutingKey(key string) (RoutingKey, error) {
	words, err := splitKey("routing key", key)
	if err != nil {
		return nil, err
	}
	for _, w := range words {
		if strings.ContainsAny(w, "*#") {
			return nil, keyError("routing key %q holds a wildcard (* or #)", key)
		}
	}
	return RoutingKey(words), nil
}

// BindingKey is one compiled binding key: its words, "*" standing for
// exactly one word and "#" for zero or more.
type BindingKey []string

// ParseBindingKey checks a binding key: a routing key whose words may
// also be "*" or "#" (whole words only: "a*" is refused).
func ParseBindingKey(key string) (BindingKey, error) {
	words, err := splitKey("binding key", key)
	if err != nil {
		return nil, err
	}
	for _, w := range words {
		if w != wordAny && w != wordAnyOrNone && strings.ContainsAny(w, "*#") {
			return nil, keyError("binding key %q: * and # must be whole words", key)
		}
	}
	return BindingKey(words), nil
}

// Match reports whether the routing key matches. It is the glob
// algorithm with "#" as the star and "*" as the single-item wildcard:
// it remembers the last "#" and, on a mismatch, lets that "#" take one
// more word, so it runs in O(len(b)·len(rk)) at worst (16·16 words).
func (b BindingKey) Match(rk RoutingKey) bool {
	bi, ri := 0, 0
	star, starRi := -1, 0 // the last "#" seen and the routing word it resumes from
	for ri < len(rk) {
		switch {
		case bi < len(b) && b[bi] == wordAnyOrNone:
			star, starRi = bi, ri
			bi++
		case bi < len(b) && (b[bi] == wordAny || b[bi] == rk[ri]):
			bi++
			ri++
		case star >= 0:
			starRi++
			bi, ri = star+1, starRi
		default:
			return false
		}
	}
	for bi < len(b) && b[bi] == wordAnyOrNone {
		bi++
	}
	return bi == len(b)
}

// BindingKeys is a subscription's set of binding keys; a routing key
// passes when any of them matches.
type BindingKeys []BindingKey

// ParseBindingKeys checks 1 to 5 binding keys.
func ParseBindingKeys(keys []string) (BindingKeys, error) {
	if len(keys) == 0 || len(keys) > MaxBindingKeys {
		return nil, keyError("a subscription has 1 to %d binding keys", MaxBindingKeys)
	}
	out := make(BindingKeys, 0, len(keys))
	for _, k := range keys {
		b, err := ParseBindingKey(k)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// Match reports whether any binding key matches the routing key.
func (bs BindingKeys) Match(rk RoutingKey) bool {
	for _, b := range bs {
		if b.Match(rk) {
			return true
		}
	}
	return false
}
