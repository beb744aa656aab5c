// Package filter compiles and evaluates SNS subscription filter policies
// (FilterPolicy with FilterPolicyScope MessageAttributes or MessageBody):
// exact values (strings, numbers, and in bodies booleans and null),
// prefix, suffix, equals-ignore-case, anything-but (of values, or of a
// prefix or suffix), numeric comparisons and ranges, exists, cidr, and
// $or. Keys are ANDed, the conditions of one key ORed, as in SNS. It is
// pure: no store, no clock.
package filter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// Scope says what a policy looks at.
type Scope string

const (
	ScopeAttributes Scope = "MessageAttributes" // the default
	ScopeBody       Scope = "MessageBody"
)

// SNS's limits on a policy.
const (
	MaxKeys         = 5   // leaf keys
	MaxCombinations = 150 // value combinations
	MaxPolicyBytes  = 256 << 10
	maxNumber       = 1e9
)

// Error is an invalid policy; its message follows SNS's
// "Invalid parameter: FilterPolicy: ..." texts.
type Error struct{ Reason string }

func (e *Error) Error() string { return "Invalid parameter: FilterPolicy: " + e.Reason }

func invalid(format string, args ...any) *Error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// Policy is a compiled filter policy.
type Policy struct {
	scope Scope
	root  expr
}

// Attribute is a message attribute as a filter sees it: its data type
// (String, String.Array, Number, Binary, with an optional custom label)
// and its string value.
type Attribute struct {
	DataType    string
	StringValue string
}

// Compile parses and checks policy for scope ("" is MessageAttributes).
func Compile(policy string, scope Scope) (*Policy, error) {
	if scope == "" {
		scope = ScopeAttributes
	}
	if scope != ScopeAttributes && scope != ScopeBody {
		return nil, &Error{Reason: "FilterPolicyScope must be MessageAttributes or MessageBody"}
	}
	if len(policy) > MaxPolicyBytes {
		return nil, invalid("Filter policy is too large")
	}
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(policy))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil || doc == nil {
		return nil, invalid("failed to parse JSON. Unexpected format")
	}
	if dec.More() {
		return nil, invalid("failed to parse JSON. Unexpected trailing content")
	}
	c := compiler{scope: scope, keys: map[string]bool{}}
	root, err := c.object(doc, nil)
	if err != nil {
		return nil, err
	}
	if len(c.keys) > MaxKeys {
		return nil, invalid("Filter policy can not have more than %d keys", MaxKeys)
	}
	if n := root.combinations(); n > MaxCombinations {
		return nil, invalid("Filter policy is too complex")
	}
	return &Policy{scope: scope, root: root}, nil
}

// Scope returns the policy's scope.
func (p *Policy) Scope() Scope { return p.scope }

// Match says whether a message with these attributes and body passes.
func (p *Policy) Match(attrs map[string]Attribute, body string) bool {
	if p.scope == ScopeBody {
		return p.MatchBody(body)
	}
	return p.MatchAttributes(attrs)
}

// MatchAttributes evaluates an attributes-scope policy. Binary attributes
// are never matched (SNS filters look only at String, String.Array and
// Number attributes).
func (p *Policy) MatchAttributes(attrs map[string]Attribute) bool {
	return p.root.match(func(path []string) ([]value, bool) {
		if len(path) != 1 {
			return nil, false
		}
		a, ok := attrs[path[0]]
		if !ok {
			return nil, false
		}
		base, _, _ := strings.Cut(a.DataType, ".")
		switch {
		case base == "Number":
			f, err := strconv.ParseFloat(a.StringValue, 64)
			if err != nil {
				return nil, true
			}
			return []value{{kind: kindNumber, num: f}}, true
		case a.DataType == "String.Array":
			var arr []any
			dec := json.NewDecoder(strings.NewReader(a.StringValue))
			dec.UseNumber()
			if dec.Decode(&arr) != nil {
				return []value{{kind: kindString, str: a.StringValue}}, true
			}
			return jsonValues(arr), true
		case base == "String":
			return []value{{kind: kindString, str: a.StringValue}}, true
		}
		return nil, false
	})
}

// MatchBody evaluates a body-scope policy; a body that is not a JSON
// object matches nothing.
func (p *Policy) MatchBody(body string) bool {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	if dec.Decode(&doc) != nil || doc == nil {
		return false
	}
	return p.root.match(func(path []string) ([]value, bool) {
		var cur any = doc
		for _, k := range path {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[k]; !ok {
				return nil, false
			}
		}
		if arr, ok := cur.([]any); ok {
			return jsonValues(arr), true
		}
		return jsonValues([]any{cur}), true
	})
}

type kind uint8

const (
	kindString kind = iota + 1
	kindNumber
	kindBool
	kindNull
)

// value is one matchable value of a message (an attribute's, an array
// element, a body field's).
type value struct {
	kind kind
	str  string
	num  float64
	b    bool
}

func jsonValues(arr []any) []value {
	out := make([]value, 0, len(arr))
	for _, v := range arr {
		switch v := v.(type) {
		case string:
			out = append(out, value{kind: kindString, str: v})
		case json.Number:
			if f, err := v.Float64(); err == nil {
				out = append(out, value{kind: kindNumber, num: f})
			}
		case bool:
			out = append(out, value{kind: kindBool, b: v})
		case nil:
			out = append(out, value{kind: kindNull})
		}
	}
	return out
}

// lookup finds the values at a key path; present says whether the key
// exists at all.
type lookup func(path []string) (vals []value, present bool)

type expr interface {
	match(lookup) bool
	combinations() int
}

type andExpr []expr

func (a andExpr) match(l lookup) bool {
	for _, e := range a {
		if !e.match(l) {
			return false
		}
	}
	return true
}

func (a andExpr) combinations() int {
	n := 1
	for _, e := range a {
		n *= e.combinations()
		if n > MaxCombinations {
			return n
		}
	}
	return n
}

type orExpr []expr

func (o orExpr) match(l lookup) bool {
	for _, e := range o {
		if e.match(l) {
			return true
		}
	}
	return false
}

func (o orExpr) combinations() int {
	n := 0
	for _, e := range o {
		n += e.combinations()
	}
	return n
}

type leaf struct {
	path  []string
	conds []cond
}

func (f leaf) combinations() int { return len(f.conds) }

func (f leaf) match(l lookup) bool {
	vals, present := l(f.path)
	for _, c := range f.conds {
		if c.op == opExists {
			if c.exists == present {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		if c.op == opAnythingBut {
			// Every value must be outside the list (an array attribute
			// matches when none of its elements is excluded).
			if len(vals) > 0 && !c.anyExcluded(vals) {
				return true
			}
			continue
		}
		for _, v := range vals {
			if c.matches(v) {
				return true
			}
		}
	}
	return false
}

type op uint8

const (
	opExact op = iota
	opPrefix
	opSuffix
	opIgnoreCase
	opNumeric
	opExists
	opAnythingBut
	opCIDR
)

type cond struct {
	op     op
	exact  value // opExact
	str    string
	ranges []numCmp // opNumeric: all must hold
	exists bool
	prefix netip.Prefix
	// anything-but: excluded values, or one prefix/suffix
	but    []value
	butOp  op
	butStr string
}

type numCmp struct {
	op string
	n  float64
}

func (c cond) matches(v value) bool {
	switch c.op {
	case opExact:
		return equal(c.exact, v)
	case opPrefix:
		return v.kind == kindString && strings.HasPrefix(v.str, c.str)
	case opSuffix:
		return v.kind == kindString && strings.HasSuffix(v.str, c.str)
	case opIgnoreCase:
		return v.kind == kindString && strings.EqualFold(v.str, c.str)
	case opNumeric:
		if v.kind != kindNumber {
			return false
		}
		for _, r := range c.ranges {
			if !r.holds(v.num) {
				return false
			}
		}
		return true
	case opCIDR:
		if v.kind != kindString {
			return false
		}
		a, err := netip.ParseAddr(v.str)
		return err == nil && c.prefix.Contains(a)
	}
	return false
}

// anyExcluded reports whether one of vals is what anything-but excludes.
func (c cond) anyExcluded(vals []value) bool {
	for _, v := range vals {
		switch c.butOp {
		case opPrefix:
			if v.kind == kindString && strings.HasPrefix(v.str, c.butStr) {
				return true
			}
		case opSuffix:
			if v.kind == kindString && strings.HasSuffix(v.str, c.butStr) {
				return true
			}
		default:
			for _, b := range c.but {
				if equal(b, v) {
					return true
				}
			}
		}
	}
	return false
}

func equal(a, b value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case kindString:
		return a.str == b.str
	case kindNumber:
		return a.num == b.num
	case kindBool:
		return a.b == b.b
	}
	return true
}

func (r numCmp) holds(x float64) bool {
	switch r.op {
	case "=":
		return x == r.n
	case "<":
		return x < r.n
	case "<=":
		return x <= r.n
	case ">":
		return x > r.n
	case ">=":
		return x >= r.n
	}
	return false
}

type compiler struct {
	scope Scope
	keys  map[string]bool
}

func (c *compiler) object(doc map[string]any, path []string) (expr, error) {
	if len(doc) == 0 && len(path) > 0 {
		return nil, invalid("Empty object for key %s", strings.Join(path, "."))
	}
	names := make([]string, 0, len(doc))
	for k := range doc {
		names = append(names, k)
	}
	sort.Strings(names)
	var and andExpr
	for _, k := range names {
		v := doc[k]
		if k == "$or" {
			arr, ok := v.([]any)
			if !ok || len(arr) < 2 {
				return nil, invalid("$or must be an array of at least 2 objects")
			}
			var or orExpr
			for _, alt := range arr {
				obj, ok := alt.(map[string]any)
				if !ok || len(obj) == 0 {
					return nil, invalid("$or must be an array of at least 2 objects")
				}
				e, err := c.object(obj, path)
				if err != nil {
					return nil, err
				}
				or = append(or, e)
			}
			and = append(and, or)
			continue
		}
		p := append(append([]string(nil), path...), k)
		switch v := v.(type) {
		case []any:
			l, err := c.leaf(p, v)
			if err != nil {
				return nil, err
			}
			c.keys[strings.Join(p, "\x00")] = true
			and = append(and, l)
		case map[string]any:
			if c.scope != ScopeBody {
				return nil, invalid("Filter policy scope MessageAttributes does not support nested filter policy")
			}
			e, err := c.object(v, p)
			if err != nil {
				return nil, err
			}
			and = append(and, e)
		default:
			return nil, invalid("Match value for key %s must be an array", strings.Join(p, "."))
		}
	}
	return and, nil
}

func (c *compiler) leaf(path []string, arr []any) (expr, error) {
	if len(arr) == 0 {
		return nil, invalid("Empty arrays are not allowed")
	}
	key := strings.Join(path, ".")
	l := leaf{path: path}
	for _, v := range arr {
		cd, err := c.cond(key, v)
		if err != nil {
			return nil, err
		}
		l.conds = append(l.conds, cd)
	}
	return l, nil
}

func (c *compiler) cond(key string, v any) (cond, error) {
	switch v := v.(type) {
	case string:
		return cond{op: opExact, exact: value{kind: kindString, str: v}}, nil
	case json.Number:
		f, err := number(v)
		if err != nil {
			return cond{}, err
		}
		return cond{op: opExact, exact: value{kind: kindNumber, num: f}}, nil
	case bool:
		return cond{op: opExact, exact: value{kind: kindBool, b: v}}, nil
	case nil:
		return cond{op: opExact, exact: value{kind: kindNull}}, nil
	case map[string]any:
		if len(v) != 1 {
			return cond{}, invalid("Only one key allowed in match expression for key %s", key)
		}
		for name, arg := range v {
			return c.operator(key, name, arg)
		}
	}
	return cond{}, invalid("Match value must be String, number, true, false, or null")
}

func (c *compiler) operator(key, name string, arg any) (cond, error) {
	switch name {
	case "prefix", "suffix", "equals-ignore-case":
		s, ok := arg.(string)
		if !ok || s == "" {
			return cond{}, invalid("%s match pattern must be a non-empty string", name)
		}
		o := map[string]op{"prefix": opPrefix, "suffix": opSuffix, "equals-ignore-case": opIgnoreCase}[name]
		return cond{op: o, str: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return cond{}, invalid("exists match pattern must be either true or false.")
		}
		return cond{op: opExists, exists: b}, nil
	case "numeric":
		arr, ok := arg.([]any)
		if !ok {
			return cond{}, invalid("Value of numeric must be an array.")
		}
		return numeric(arr)
	case "cidr":
		s, ok := arg.(string)
		p, err := netip.ParsePrefix(s)
		if !ok || err != nil {
			return cond{}, invalid("Malformed CIDR, one '/' required")
		}
		return cond{op: opCIDR, prefix: p.Masked()}, nil
	case "anything-but":
		return anythingBut(arg)
	}
	return cond{}, invalid("Unrecognized match type %s", name)
}

func anythingBut(arg any) (cond, error) {
	c := cond{op: opAnythingBut, butOp: opExact}
	switch a := arg.(type) {
	case map[string]any:
		if len(a) != 1 {
			return c, invalid("Value of anything-but must be an array or single string/number value.")
		}
		for name, v := range a {
			s, ok := v.(string)
			if (name != "prefix" && name != "suffix") || !ok || s == "" {
				return c, invalid("Unsupported anything-but pattern: %s", name)
			}
			c.butOp, c.butStr = opPrefix, s
			if name == "suffix" {
				c.butOp = opSuffix
			}
		}
		return c, nil
	case []any:
		if len(a) == 0 {
			return c, invalid("Empty arrays are not allowed")
		}
		for _, v := range a {
			bv, err := butValue(v)
			if err != nil {
				return c, err
			}
			c.but = append(c.but, bv)
		}
		return c, nil
	default:
		bv, err := butValue(a)
		if err != nil {
			return c, err
		}
		c.but = []value{bv}
		return c, nil
	}
}

func butValue(v any) (value, error) {
	switch v := v.(type) {
	case string:
		return value{kind: kindString, str: v}, nil
	case json.Number:
		f, err := number(v)
		return value{kind: kindNumber, num: f}, err
	}
	return value{}, invalid("Value of anything-but must be an array or single string/number value.")
}

func number(n json.Number) (float64, error) {
	f, err := n.Float64()
	if err != nil || math.Abs(f) > maxNumber {
		return 0, invalid("Value must be between -%.0f and %.0f, inclusive", maxNumber, maxNumber)
	}
	return f, nil
}

// numeric compiles ["=", 5], [">", 0], [">", 0, "<=", 10]: one equality,
// or one or two comparisons, a lower bound before an upper one.
func numeric(arr []any) (cond, error) {
	c := cond{op: opNumeric}
	if len(arr) != 2 && len(arr) != 4 {
		return c, invalid("Value of numeric must be an array of an operator and a number, or two such pairs.")
	}
	for i := 0; i < len(arr); i += 2 {
		o, ok := arr[i].(string)
		n, ok2 := arr[i+1].(json.Number)
		if !ok || !ok2 {
			return c, invalid("Value of numeric must be an array of an operator and a number, or two such pairs.")
		}
		switch o {
		case "=", "<", "<=", ">", ">=":
		default:
			return c, invalid("Unrecognized numeric range operator: %s", o)
		}
		f, err := number(n)
		if err != nil {
			return c, err
		}
		c.ranges = append(c.ranges, numCmp{op: o, n: f})
	}
	if len(c.ranges) == 2 {
		lo, hi := c.ranges[0], c.ranges[1]
		if (lo.op != ">" && lo.op != ">=") || (hi.op != "<" && hi.op != "<=") {
			return c, invalid("Bad numeric range operator: a range must be a lower bound (> or >=) then an upper bound (< or <=)")
		}
		if lo.n >= hi.n {
			return c, invalid("Bottom must be less than top")
		}
	}
	return c, nil
}
