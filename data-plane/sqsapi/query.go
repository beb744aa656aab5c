package sqsapi

import (
	"encoding/base64"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// The Query protocol flattens a request into numbered parameters:
//
//	Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=60
//	SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue=x
//
// decodeQuery walks the request shape (types.go) and reads each member
// from its Query name, so both protocols fill the same structs.
func decodeQuery(params url.Values, into any) error {
	return decodeStruct(params, "", reflect.ValueOf(into).Elem())
}

func decodeStruct(p url.Values, prefix string, v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if f.Anonymous {
			if err := decodeStruct(p, prefix, fv); err != nil {
				return err
			}
			continue
		}
		name, flat := memberNames(f)
		if flat.elem == "-" {
			continue
		}
		if err := decodeMember(p, prefix, name, flat, fv); err != nil {
			return err
		}
	}
	return nil
}

func decodeMember(p url.Values, prefix, name string, flat flatNames, fv reflect.Value) error {
	if fv.Type() == bytesType {
		if s, ok := p[prefix+name]; ok {
			return decodeScalar(name, s[0], fv)
		}
		return nil
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(p.Get(prefix + name))
	case reflect.Pointer:
		s, ok := p[prefix+name]
		if !ok {
			return nil
		}
		elem := reflect.New(fv.Type().Elem())
		if err := decodeScalar(name, s[0], elem.Elem()); err != nil {
			return err
		}
		fv.Set(elem)
	case reflect.Slice:
		base := prefix + flat.elem + "."
		for _, n := range indices(p, base) {
			at := base + strconv.Itoa(n)
			switch fv.Type().Elem().Kind() {
			case reflect.Struct:
				item := reflect.New(fv.Type().Elem()).Elem()
				if err := decodeStruct(p, at+".", item); err != nil {
					return err
				}
				fv.Set(reflect.Append(fv, item))
			default:
				item := reflect.New(fv.Type().Elem()).Elem()
				if err := decodeScalar(flat.elem, p.Get(at), item); err != nil {
					return err
				}
				fv.Set(reflect.Append(fv, item))
			}
		}
	case reflect.Map:
		base := prefix + flat.elem + "."
		for _, n := range indices(p, base) {
			at := base + strconv.Itoa(n) + "."
			if fv.IsNil() {
				fv.Set(reflect.MakeMap(fv.Type()))
			}
			val := reflect.New(fv.Type().Elem()).Elem()
			if val.Kind() == reflect.Struct {
				if err := decodeStruct(p, at+flat.value+".", val); err != nil {
					return err
				}
			} else {
				val.SetString(p.Get(at + flat.value))
			}
			fv.SetMapIndex(reflect.ValueOf(p.Get(at+flat.key)), val)
		}
	}
	return nil
}

// decodeScalar parses one Query value into a string, integer or bytes.
func decodeScalar(name, s string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errInvalidParameter(name, s, "Must be an integer.")
		}
		v.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errInvalidParameter(name, s, "Must be true or false.")
		}
		v.SetBool(b)
	case reflect.Slice: // []byte, base64 on the wire
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return errInvalidParameter(name, s, "Not a valid base64 value.")
		}
		v.SetBytes(b)
	}
	return nil
}

// indices returns the entry numbers present under base ("Attribute."), in
// order. Clients number from 1 without gaps, but gaps are harmless.
func indices(p url.Values, base string) []int {
	var out []int
	for k := range p {
		rest, ok := strings.CutPrefix(k, base)
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || slices.Contains(out, n) {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

var bytesType = reflect.TypeFor[[]byte]()

// flatNames are a flattened member's Query/XML names.
type flatNames struct{ elem, key, value string }

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
