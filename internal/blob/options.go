package blob

import "fmt"

// DefaultListLimit is the page size used when ListOptions.Limit is <= 0.
const DefaultListLimit = 1000

// maxPageSize caps ListOptions.Limit so drivers can always ask for one
// object more than a page holds without overflowing.
const maxPageSize = 1 << 30

// PageSize resolves ListOptions.Limit to the number of objects in a page.
func (o ListOptions) PageSize() int {
	switch {
	case o.Limit <= 0:
		return DefaultListLimit
	case o.Limit > maxPageSize:
		return maxPageSize
	default:
		return o.Limit
	}
}

// NewPage builds a page from objects collected in key order. Drivers collect
// up to pageSize+1 objects: the extra one only proves that another page
// follows, so Next is set exactly when more objects exist.
func NewPage(objects []ObjectInfo, pageSize int) ListPage {
	if len(objects) <= pageSize {
		return ListPage{Objects: objects}
	}
	objects = objects[:pageSize]
	return ListPage{Objects: objects, Next: objects[pageSize-1].Key}
}

// ValidateRange checks the arguments of Store.GetRange that do not depend
// on the object itself.
func ValidateRange(offset, length int64) error {
	if offset < 0 {
		return fmt.Errorf("blob: negative range offset %d", offset)
	}
	if length < 0 {
		return fmt.Errorf("blob: negative range length %d", length)
	}
	return nil
}
