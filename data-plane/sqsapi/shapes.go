package sqsapi

import (
	"reflect"
	"strings"
	"sync"
)

// member is one field of a request or reply shape with its wire names.
type member struct {
	index    int
	embedded bool
	name     string
	flat     flatNames
}

// flatNames are a flattened member's Query/XML names.
type flatNames struct{ elem, key, value string }

// shapes remembers each shape's members, so the Query decoder and the XML
// writer read struct tags once per type rather than once per field per
// call (splitting the tags was a tenth of the XML writer's time).
type shapes struct {
	members sync.Map // reflect.Type → []member
}

func (s *shapes) of(t reflect.Type) []member {
	if ms, ok := s.members.Load(t); ok {
		return ms.([]member)
	}
	ms := make([]member, t.NumField())
	for i := range ms {
		f := t.Field(i)
		name, flat := memberNames(f)
		ms[i] = member{index: i, embedded: f.Anonymous, name: name, flat: flat}
	}
	s.members.Store(t, ms)
	return ms
}

// memberNames returns the member's JSON name and its flattened names.
func memberNames(f reflect.StructField) (string, flatNames) {
	name := f.Name
	if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" {
		name = tag
	}
	parts := strings.Split(f.Tag.Get("x"), ",")
	flat := flatNames{elem: parts[0]}
	if len(parts) == 3 {
		flat.key, flat.value = parts[1], parts[2]
	}
	if flat.elem == "" {
		flat.elem = name
	}
	return name, flat
}
