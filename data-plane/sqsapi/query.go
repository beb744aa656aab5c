package sqsapi

import (
	"cmp"
	"encoding/base64"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// maxQueryParams bounds the parameters of a Query request, counted before
// any is parsed. The largest legal request is a SendMessageBatch of 10
// entries, each with Id, MessageBody, DelaySeconds, MessageGroupId and
// MessageDeduplicationId (5), 10 message attributes of Name,
// Value.DataType and one of Value.StringValue or Value.BinaryValue (30) and
// the AWSTraceHeader system attribute (3): 380, plus Action, Version and
// QueueUrl (3) and the 7 X-Amz-* parameters of a presigned SigV4 request:
// 390. The next largest, a CreateQueue with every attribute and 50 tags,
// has under 150. 1,000 leaves room for parameters SQS ignores.
const maxQueryParams = 1000

// parseQueryParams returns a Query request's parameters: those of the URL
// query, then those of the form body. It refuses a request with more than
// maxQueryParams of them before parsing any, so a huge one costs a scan
// for '&', not a decode.
func parseQueryParams(rawQuery string, form []byte) (*queryParams, error) {
	body := string(form)
	n := countPairs(rawQuery) + countPairs(body)
	if n > maxQueryParams {
		return nil, NewError("InvalidQueryParameter", "The request has %d parameters; at most %d are allowed.", n, maxQueryParams)
	}
	p := &queryParams{values: make([]string, 0, n)}
	// As url.URL.Query, which this replaces: a malformed pair in the URL
	// is dropped and the others kept.
	_ = p.parse(rawQuery)
	if body != "" && p.parse(body) != nil {
		return nil, NewError("MalformedQueryString", "The request body is not a valid form.")
	}
	return p, nil
}

// queryParams holds the parameters as a tree of their names' dotted
// components, built as they are parsed, which url.ParseQuery's map and
// then a tree built from it took twice the allocations for (a Query
// SendMessageBatch of ten has 23 parameters).
type queryParams struct {
	root paramNode
	// values and nodes are handed out to the tree a piece at a time, so
	// that its parameters take a few allocations, not one each.
	values []string
	nodes  []paramNode
	// steps counts tree nodes made or visited, for the decoder's count.
	steps int
}

// paramNodeChunk is how many tree nodes are allocated together.
const paramNodeChunk = 32

// parse adds the pairs of an "&"-separated query to the tree, skipping the
// malformed ones as url.ParseQuery does, and returns its first error.
func (p *queryParams) parse(query string) (err error) {
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		if strings.Contains(pair, ";") {
			if err == nil {
				err = errors.New("invalid semicolon separator in query")
			}
			continue
		}
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(key)
		if err1 == nil {
			value, err1 = url.QueryUnescape(value)
		}
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		p.add(key, value)
	}
	return err
}

func (p *queryParams) add(name, value string) {
	n := &p.root
	for part := range strings.SplitSeq(name, ".") {
		p.steps++
		next := n.children[part]
		if next == nil {
			if n.children == nil {
				n.children = make(map[string]*paramNode)
			}
			next = p.newNode()
			n.children[part] = next
		}
		n = next
	}
	if n.values == nil && len(p.values) < cap(p.values) {
		p.values = append(p.values, value)
		n.values = p.values[len(p.values)-1 : len(p.values) : len(p.values)]
		return
	}
	n.values = append(n.values, value)
}

func (p *queryParams) newNode() *paramNode {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]paramNode, 0, paramNodeChunk)
	}
	p.nodes = append(p.nodes, paramNode{})
	return &p.nodes[len(p.nodes)-1]
}

// get returns the first value of the parameter named name (which has no
// dots), "" when it is absent.
func (p *queryParams) get(name string) string { return p.root.child(name).first() }

// countPairs returns how many "&"-separated pairs s holds, empty ones
// included, which is at least how many parameters it has.
func countPairs(s string) int {
	if s == "" {
		return 0
	}
	return strings.Count(s, "&") + 1
}

// The Query protocol flattens a request into numbered parameters:
//
//	Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=60
//	SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue=x
//
// decodeQuery walks the request shape (types.go) and reads each member
// from its Query name, so both protocols fill the same structs.
func decodeQuery(s *shapes, params *queryParams, into any) error {
	return newQueryDecoder(params, s).decode(into)
}

// paramNode is one dotted component of parameter names: the parameter
// whose name ends here, if any, and the components that follow it.
type paramNode struct {
	values   []string
	children map[string]*paramNode
}

func (n *paramNode) child(name string) *paramNode {
	if n == nil {
		return nil
	}
	return n.children[name]
}

func (n *paramNode) present() bool { return n != nil && len(n.values) > 0 }

// first returns the parameter's first value, "" when it is absent.
func (n *paramNode) first() string {
	if !n.present() {
		return ""
	}
	return n.values[0]
}

// queryDecoder reads the parameters through a tree of their names' dotted
// components, built in one pass. Each member is then one lookup from its
// parent's node, and each list or map sees only its own entries, so
// decoding takes time linear in the parameters, not their square.
type queryDecoder struct {
	root   *paramNode
	shapes *shapes
	// steps counts units of work (tree nodes made or visited, members
	// read, comparisons), for tests to check the cost is linear.
	steps int
}

func newQueryDecoder(params *queryParams, s *shapes) *queryDecoder {
	return &queryDecoder{root: &params.root, shapes: s, steps: params.steps}
}

func (d *queryDecoder) decode(into any) error {
	return d.decodeStruct(d.root, reflect.ValueOf(into).Elem())
}

// decodeStruct fills v's members from the parameters under n.
func (d *queryDecoder) decodeStruct(n *paramNode, v reflect.Value) error {
	for _, m := range d.shapes.of(v.Type()) {
		d.steps++
		fv := v.Field(m.index)
		if m.embedded {
			if err := d.decodeStruct(n, fv); err != nil {
				return err
			}
			continue
		}
		if m.flat.elem == "-" {
			continue
		}
		if err := d.decodeMember(n, m.name, m.flat, fv); err != nil {
			return err
		}
	}
	return nil
}

func (d *queryDecoder) decodeMember(n *paramNode, name string, flat flatNames, fv reflect.Value) error {
	if fv.Type() == bytesType {
		if p := n.child(name); p.present() {
			return decodeScalar(name, p.first(), fv)
		}
		return nil
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(n.child(name).first())
	case reflect.Pointer:
		p := n.child(name)
		if !p.present() {
			return nil
		}
		elem := reflect.New(fv.Type().Elem())
		if err := decodeScalar(name, p.first(), elem.Elem()); err != nil {
			return err
		}
		fv.Set(elem)
	case reflect.Slice:
		list := n.child(flat.elem)
		indices := d.indices(list)
		if len(indices) == 0 {
			return nil
		}
		// Each element is decoded in place in a slice made to size.
		items := reflect.MakeSlice(fv.Type(), len(indices), len(indices))
		for k, i := range indices {
			at, item := list.child(strconv.Itoa(i)), items.Index(k)
			if item.Kind() == reflect.Struct {
				if err := d.decodeStruct(at, item); err != nil {
					return err
				}
			} else if err := decodeScalar(flat.elem, at.first(), item); err != nil {
				return err
			}
		}
		fv.Set(items)
	case reflect.Map:
		entries := n.child(flat.elem)
		for _, i := range d.indices(entries) {
			at := entries.child(strconv.Itoa(i))
			if fv.IsNil() {
				fv.Set(reflect.MakeMap(fv.Type()))
			}
			val := reflect.New(fv.Type().Elem()).Elem()
			if val.Kind() == reflect.Struct {
				if err := d.decodeStruct(at.child(flat.value), val); err != nil {
					return err
				}
			} else {
				val.SetString(at.child(flat.value).first())
			}
			fv.SetMapIndex(reflect.ValueOf(at.child(flat.key).first()), val)
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

// indices returns the entry numbers under n ("Attribute"), in order and
// once each. Clients number from 1 without gaps, but gaps are harmless. A
// number written another way ("01") counts as its plain form, whose
// parameters are the ones read.
func (d *queryDecoder) indices(n *paramNode) []int {
	if n == nil {
		return nil
	}
	out := make([]int, 0, len(n.children))
	for num := range n.children {
		d.steps++
		if i, err := strconv.Atoi(num); err == nil && i >= 1 {
			out = append(out, i)
		}
	}
	slices.SortFunc(out, func(a, b int) int {
		d.steps++
		return cmp.Compare(a, b)
	})
	return slices.Compact(out)
}

var bytesType = reflect.TypeFor[[]byte]()
