package kv

import "context"

// PrefixEnd returns the smallest key greater than every key that starts
// with prefix: the end of a Scan over the prefix. It is nil (unbounded)
// when the prefix is empty or all 0xff bytes.
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// ForEachPage hands fn the pairs under prefix in key order, at most size at
// a time, each page read in its own short View: fn may write (or delete
// what it was given) between pages, and a long walk holds no snapshot.
func ForEachPage(ctx context.Context, s Store, prefix []byte, size int, fn func([]KV) error) error {
	start, end := prefix, PrefixEnd(prefix)
	for {
		var page []KV
		err := s.View(ctx, func(r Reader) (err error) {
			page, err = r.Scan(ctx, start, end, size)
			return err
		})
		if err != nil {
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
		if len(page) < size {
			return nil
		}
		start = append(page[len(page)-1].Key, 0)
	}
}
