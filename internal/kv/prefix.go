package kv

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
