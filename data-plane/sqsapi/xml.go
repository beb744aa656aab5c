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

// writeXMLResponse writes the Query reply for action:
//
//	<{Action}Response xmlns=...><{Action}Result>...</{Action}Result>
//	<ResponseMetadata><RequestId>...</RequestId></ResponseMetadata></{Action}Response>
//
// Actions without output have no Result element, as in SQS.
func writeXMLResponse(b *bytes.Buffer, action, requestID string, out any) {
	b.WriteString(xml.Header)
	b.WriteString("<" + action + `Response xmlns="` + xmlNamespace + `">`)
	if out != nil {
		b.WriteString("<" + action + "Result>")
		writeXMLFields(b, reflect.ValueOf(out))
		b.WriteString("</" + action + "Result>")
	}
	b.WriteString("<ResponseMetadata><RequestId>" + requestID + "</RequestId></ResponseMetadata>")
	b.WriteString("</" + action + "Response>")
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

func writeXMLFields(b *bytes.Buffer, v reflect.Value) {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if f.Anonymous {
			writeXMLFields(b, fv)
			continue
		}
		name, flat := memberNames(f)
		writeXMLMember(b, name, flat, fv)
	}
}

func writeXMLMember(b *bytes.Buffer, name string, flat flatNames, v reflect.Value) {
	switch {
	case v.Type() == bytesType:
		if v.Len() > 0 {
			element(b, name, base64.StdEncoding.EncodeToString(v.Bytes()))
		}
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			writeXMLMember(b, name, flat, v.Elem())
		}
	case v.Kind() == reflect.String:
		if v.Len() > 0 {
			element(b, name, v.String())
		}
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		element(b, name, strconv.FormatInt(v.Int(), 10))
	case v.Kind() == reflect.Bool:
		element(b, name, strconv.FormatBool(v.Bool()))
	case v.Kind() == reflect.Slice:
		for i := range v.Len() {
			item := v.Index(i)
			if item.Kind() == reflect.Struct {
				b.WriteString("<" + flat.elem + ">")
				writeXMLFields(b, item)
				b.WriteString("</" + flat.elem + ">")
			} else {
				writeXMLMember(b, flat.elem, flatNames{}, item)
			}
		}
	case v.Kind() == reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		for _, k := range keys {
			b.WriteString("<" + flat.elem + ">")
			element(b, flat.key, k)
			val := v.MapIndex(reflect.ValueOf(k))
			if val.Kind() == reflect.Struct {
				b.WriteString("<" + flat.value + ">")
				writeXMLFields(b, val)
				b.WriteString("</" + flat.value + ">")
			} else {
				element(b, flat.value, val.String())
			}
			b.WriteString("</" + flat.elem + ">")
		}
	case v.Kind() == reflect.Struct:
		b.WriteString("<" + name + ">")
		writeXMLFields(b, v)
		b.WriteString("</" + name + ">")
	}
}

func element(b *bytes.Buffer, name, text string) {
	b.WriteString("<" + name + ">")
	escape(b, text)
	b.WriteString("</" + name + ">")
}

// escape writes s as XML character data. SQS escapes carriage returns too,
// so that a body's "\r" survives XML's line-end normalisation.
func escape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s))
}
