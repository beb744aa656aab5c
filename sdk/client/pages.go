package client

import (
	"fmt"
	"iter"
)

// pages walks a paginated list: fetch reads the page after token next
// ("" for the first) and returns its items and the next page's token, ""
// after the last. An error is yielded once and ends the walk.
func pages[T any](fetch func(next string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		next := ""
		for {
			items, following, err := fetch(next)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if following == "" {
				return
			}
			// A server handing back the same token would loop forever.
			if following == next {
				yield(zero, fmt.Errorf("pagination: the server returned the same next token %q twice", next))
				return
			}
			next = following
		}
	}
}
