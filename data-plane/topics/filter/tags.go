package filter

import (
	"unicode/utf8"
)

// CMQ's limits on tags: at most 5 on a message and 5 on a subscription,
// each 1 to 16 characters.
const (
	MaxTags     = 5
	MaxTagChars = 16
)

// Tags is a set of CMQ tags: a message's, or a subscription's filter.
type Tags []string

// ParseTags checks 1 to 5 tags of 1 to 16 characters; what names them in
// the error ("message tags", "filter tags"). Repeated tags count once.
func ParseTags(what string, tags []string) (Tags, error) {
	if len(tags) == 0 || len(tags) > MaxTags {
		return nil, keyError("%s: 1 to %d tags", what, MaxTags)
	}
	out := make(Tags, 0, len(tags))
	for _, t := range tags {
		if t == "" || utf8.RuneCountInString(t) > MaxTagChars || !utf8.ValidString(t) {
			return nil, keyError("%s: tag %q must be 1 to %d characters", what, t, MaxTagChars)
		}
		if !out.Has(t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// Has reports whether t is one of the tags.
func (ts Tags) Has(t string) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// Match reports whether a subscription filtering on ts gets a message
// tagged msg: they share a tag. An untagged message matches no filter.
func (ts Tags) Match(msg Tags) bool {
	for _, t := range msg {
		if ts.Has(t) {
			return true
		}
	}
	return false
}
