package sqsapi

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"reflect"
	"slices"
	"strconv"
)

// xmlNamespace is the namespace of every Query-protocol reply.
const xmlNamespace = "http://queue.amazonaws.com/doc/2012-11-05/"

// xmlWriter writes Query-protocol replies into b, straight from the reply
// shapes (types.go) and their x tags.
type xmlWriter struct {
	b      *bytes.Buffer
	shapes *shapes
}

// response writes the Query reply for action:
//
//	<{Action}Response xmlns=...><{Action}Result>...</{Action}Result>
//	<ResponseMetadata><RequestId>...</RequestId></ResponseMetadata></{Action}Response>
//
// Actions without output have no Result element, as in SQS.
func (w xmlWriter) response(action, requestID string, out any) {
	w.b.WriteString(xml.Header)
	w.b.WriteByte('<')
	w.b.WriteString(action)
	w.b.WriteString(`Response xmlns="` + xmlNamespace + `">`)
	if out != nil {
		w.open(action, "Result")
		w.fields(reflect.ValueOf(out))
		w.close(action, "Result")
	}
	w.b.WriteString("<ResponseMetadata><RequestId>")
	w.b.WriteString(requestID)
	w.b.WriteString("</RequestId></ResponseMetadata>")
	w.close(action, "Response")
}

// writeXMLError writes a Query-protocol error reply.
func writeXMLError(b *bytes.Buffer, e *Error, requestID string) {
	b.WriteString(xml.Header)
	b.WriteString(`<ErrorResponse xmlns="` + xmlNamespace + `"><Error><Type>` + e.fault() + "</Type><Code>")
	escape(b, e.Code)
	b.WriteString("</Code><Message>")
	escape(b, e.Message)
	b.WriteString("</Message><Detail/></Error><RequestId>" + requestID + "</RequestId></ErrorResponse>")
}

// open writes <name+suffix>; close writes </name+suffix>.
func (w xmlWriter) open(name, suffix string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	w.b.WriteString(suffix)
	w.b.WriteByte('>')
}

func (w xmlWriter) close(name, suffix string) {
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteString(suffix)
	w.b.WriteByte('>')
}

func (w xmlWriter) fields(v reflect.Value) {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	for _, m := range w.shapes.of(v.Type()) {
		fv := v.Field(m.index)
		if m.embedded {
			w.fields(fv)
			continue
		}
		w.member(m.name, m.flat, fv)
	}
}

func (w xmlWriter) member(name string, flat flatNames, v reflect.Value) {
	switch {
	case v.Type() == bytesType:
		if v.Len() > 0 {
			w.element(name, base64.StdEncoding.EncodeToString(v.Bytes()))
		}
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			w.member(name, flat, v.Elem())
		}
	case v.Kind() == reflect.String:
		if v.Len() > 0 {
			w.element(name, v.String())
		}
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		w.open(name, "")
		w.b.Write(strconv.AppendInt(w.b.AvailableBuffer(), v.Int(), 10))
		w.close(name, "")
	case v.Kind() == reflect.Bool:
		w.element(name, strconv.FormatBool(v.Bool()))
	case v.Kind() == reflect.Slice:
		for i := range v.Len() {
			item := v.Index(i)
			if item.Kind() == reflect.Struct {
				w.open(flat.elem, "")
				w.fields(item)
				w.close(flat.elem, "")
			} else {
				w.member(flat.elem, flatNames{}, item)
			}
		}
	case v.Kind() == reflect.Map:
		if v.Len() == 0 {
			return
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		for _, k := range keys {
			w.open(flat.elem, "")
			w.element(flat.key, k)
			val := v.MapIndex(reflect.ValueOf(k))
			if val.Kind() == reflect.Struct {
				w.open(flat.value, "")
				w.fields(val)
				w.close(flat.value, "")
			} else {
				w.element(flat.value, val.String())
			}
			w.close(flat.elem, "")
		}
	case v.Kind() == reflect.Struct:
		w.open(name, "")
		w.fields(v)
		w.close(name, "")
	}
}

func (w xmlWriter) element(name, text string) {
	w.open(name, "")
	escape(w.b, text)
	w.close(name, "")
}

// escape writes s as XML character data, as xml.EscapeText does. SQS
// escapes carriage returns too, so that a body's "\r" survives XML's
// line-end normalisation. Text with nothing to escape (ids, digests,
// handles, most bodies) is copied as it is, without xml.EscapeText's copy
// of s.
func escape(b *bytes.Buffer, s string) {
	if plainXMLText(s) {
		b.WriteString(s)
		return
	}
	_ = xml.EscapeText(b, []byte(s))
}

// plainXMLText reports whether xml.EscapeText would write s unchanged:
// printable ASCII without the five characters it escapes.
func plainXMLText(s string) bool {
	for i := range len(s) {
		switch c := s[i]; {
		case c < 0x20 || c >= 0x7f:
			return false
		case c == '"' || c == '\'' || c == '&' || c == '<' || c == '>':
			return false
		}
	}
	return true
}
