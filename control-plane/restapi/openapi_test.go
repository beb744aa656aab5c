package restapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/control-plane/restapi"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/sdk/api"
)

// The OpenAPI document the server serves, the routes it serves and the
// sdk/api types it encodes and decodes must agree; the served bodies are
// the truth, and they are the api types.

type jsonObj = map[string]any

// schemaTypes maps every component schema of the document to the api type
// whose JSON it describes.
var schemaTypes = map[string]reflect.Type{
	"Error":           reflect.TypeFor[api.Error](),
	"Plan":            reflect.TypeFor[api.Plan](),
	"Quotas":          reflect.TypeFor[api.Quotas](),
	"Tenant":          reflect.TypeFor[api.Tenant](),
	"CreateTenant":    reflect.TypeFor[api.CreateTenantRequest](),
	"UpdateTenant":    reflect.TypeFor[api.UpdateTenantRequest](),
	"TenantList":      reflect.TypeFor[api.TenantList](),
	"TenantDeletion":  reflect.TypeFor[api.TenantDeletion](),
	"AccessKey":       reflect.TypeFor[api.AccessKey](),
	"AccessKeyList":   reflect.TypeFor[api.AccessKeyList](),
	"UpdateAccessKey": reflect.TypeFor[api.UpdateAccessKeyRequest](),
	"Queue":           reflect.TypeFor[api.Queue](),
	"QueueStorage":    reflect.TypeFor[api.QueueStorage](),
	"TieringSettings": reflect.TypeFor[api.TieringSettings](),
	"TieringPatch":    reflect.TypeFor[api.TieringPatch](),
	"CreateQueue":     reflect.TypeFor[api.CreateQueueRequest](),
	"UpdateQueue":     reflect.TypeFor[api.UpdateQueueRequest](),
	"QueueList":       reflect.TypeFor[api.QueueList](),
	"CreateToken":     reflect.TypeFor[api.CreateTokenRequest](),
	"Token":           reflect.TypeFor[api.Token](),
	"RevokeToken":     reflect.TypeFor[api.RevokeTokenRequest](),
	"Revocation":      reflect.TypeFor[api.Revocation](),
	"Usage":           reflect.TypeFor[api.Usage](),
	"UsageBucket":     reflect.TypeFor[api.UsageBucket](),
	"UsageQuantity":   reflect.TypeFor[api.UsageQuantity](),
	"PricePlan":       reflect.TypeFor[api.PricePlan](),
	"PricePlanList":   reflect.TypeFor[api.PricePlanList](),
	"PutPricePlan":    reflect.TypeFor[api.PutPricePlanRequest](),
	"Invoice":         reflect.TypeFor[api.Invoice](),
	"InvoiceList":     reflect.TypeFor[api.InvoiceList](),
	"InvoiceLine":     reflect.TypeFor[api.InvoiceLine](),
	"QueueUsage":      reflect.TypeFor[api.QueueUsage](),

	"Topic":              reflect.TypeFor[api.Topic](),
	"CreateTopic":        reflect.TypeFor[api.CreateTopicRequest](),
	"UpdateTopic":        reflect.TypeFor[api.UpdateTopicRequest](),
	"TopicList":          reflect.TypeFor[api.TopicList](),
	"Subscription":       reflect.TypeFor[api.Subscription](),
	"CreateSubscription": reflect.TypeFor[api.CreateSubscriptionRequest](),
	"UpdateSubscription": reflect.TypeFor[api.UpdateSubscriptionRequest](),
	"SubscriptionList":   reflect.TypeFor[api.SubscriptionList](),
}

// inlineTypes are api struct types the document describes inline, inside
// another schema, rather than as a component; notWire are api types that
// are no body at all.
var (
	inlineTypes = []string{"ErrorDetail"}
	notWire     = []string{"Route"}
)

// enums are the values of the document's enums, as the api constants
// spell them, keyed by where the enum is.
var enums = map[string][]string{
	"Plan":                   {string(api.PlanFree), string(api.PlanStandard), string(api.PlanLarge)},
	"Tenant.status":          {string(api.TenantActive), string(api.TenantSuspended)},
	"TenantDeletion.status":  {string(api.TenantDeleting)},
	"AccessKey.status":       {string(api.KeyActive), string(api.KeyInactive)},
	"UpdateAccessKey.status": {string(api.KeyActive), string(api.KeyInactive)},
	"Invoice.status":         {string(api.InvoiceDraft), string(api.InvoiceFinalized)},
}

func servedOpenAPI(t *testing.T) (jsonObj, *fixture) {
	t.Helper()
	f := newFixture(t, kvtest.OpenLocal(t))
	var doc jsonObj
	f.do(t, "", "GET", restapi.OpenAPIPath, "", 200, &doc)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi = %q", v)
	}
	return doc, f
}

// echoParam is a path parameter as echo spells it (:account).
var echoParam = regexp.MustCompile(`:([a-z]+)`)

// The router, the document and api.Routes name the same operations.
func TestOpenAPIRoutesAreServed(t *testing.T) {
	doc, f := servedOpenAPI(t)
	served := map[string]bool{}
	for _, r := range f.e.Routes() {
		if !strings.HasPrefix(r.Path, "/v1") || r.Method == echo.RouteNotFound {
			continue // echo's own catch-all of the group
		}
		path := echoParam.ReplaceAllString(r.Path, "{$1}")
		served[strings.ToLower(r.Method)+" "+path] = true
	}
	documented := map[string]bool{}
	for path, item := range doc["paths"].(jsonObj) {
		for op := range item.(jsonObj) {
			if op != "parameters" {
				documented[op+" "+path] = true
			}
		}
	}
	listed := map[string]bool{}
	for _, r := range api.Routes {
		listed[strings.ToLower(r.Method)+" "+r.Path] = true
	}
	for route := range served {
		if !documented[route] {
			t.Errorf("route %s is served but not in the OpenAPI document", route)
		}
		if !listed[route] {
			t.Errorf("route %s is served but not in api.Routes", route)
		}
	}
	for route := range documented {
		if !served[route] {
			t.Errorf("the OpenAPI document has %s, which is not served", route)
		}
	}
	for route := range listed {
		if !served[route] {
			t.Errorf("api.Routes has %s, which is not served", route)
		}
	}
	if len(served) < 10 {
		t.Fatalf("only %d routes found", len(served))
	}
}

// Each operation's request body and success reply are the api.Routes types'
// schemas, with its status; every error reply is an Error.
func TestOpenAPIOperationsUseAPITypes(t *testing.T) {
	doc, _ := servedOpenAPI(t)
	paths := doc["paths"].(jsonObj)
	for _, r := range api.Routes {
		name := r.Method + " " + r.Path
		op, _ := dig(paths, r.Path, strings.ToLower(r.Method)).(jsonObj)
		if op == nil {
			t.Errorf("%s: not in the document", name)
			continue
		}
		body := dig(op, "requestBody", "content", "application/json", "schema")
		switch {
		case r.Request == nil && body != nil:
			t.Errorf("%s: the document has a request body, api.Routes none", name)
		case r.Request != nil:
			checkRefTo(t, name+" request body", body, reflect.TypeOf(r.Request).Elem())
		}
		responses, _ := op["responses"].(jsonObj)
		status := strconv.Itoa(r.Status)
		if _, ok := responses[status]; !ok {
			t.Errorf("%s: the document has no %s reply", name, status)
		}
		for code := range responses {
			schema := dig(responses, code, "content", "application/json", "schema")
			switch {
			case code == status && r.Reply == nil:
				if s, _ := schema.(jsonObj); s != nil && s["$ref"] != nil {
					t.Errorf("%s: the %s reply is %v, api.Routes has no type", name, code, s["$ref"])
				}
			case code == status:
				checkRefTo(t, name+" "+code+" reply", schema, reflect.TypeOf(r.Reply).Elem())
			case code[0] == '2':
				t.Errorf("%s: the document has another success reply, %s", name, code)
			default:
				checkRefTo(t, name+" "+code+" reply", schema, reflect.TypeFor[api.Error]())
			}
		}
	}
}

// Every component schema has the JSON properties, with the JSON types, of
// its api type, and every api type has a schema.
func TestOpenAPISchemasMatchAPITypes(t *testing.T) {
	doc, _ := servedOpenAPI(t)
	schemas := dig(doc, "components", "schemas").(jsonObj)
	for name, schema := range schemas {
		typ, ok := schemaTypes[name]
		if !ok {
			t.Errorf("schema %s has no entry in schemaTypes", name)
			continue
		}
		checkSchema(t, name, schema.(jsonObj), typ)
	}
	for name := range schemaTypes {
		if _, ok := schemas[name]; !ok {
			t.Errorf("schemaTypes has %s, which the document lacks", name)
		}
	}
	for where, want := range enums {
		parts := strings.Split(where, ".")
		got := schemas[parts[0]]
		for _, prop := range parts[1:] {
			got = dig(got, "properties", prop)
		}
		values, _ := dig(got, "enum").([]any)
		var names []string
		for _, v := range values {
			names = append(names, v.(string))
		}
		if !slices.Equal(names, want) {
			t.Errorf("%s: enum %v, the api constants are %v", where, names, want)
		}
	}
}

// Every exported struct type of sdk/api is in schemaTypes, described
// inline, or not a body.
func TestAPITypesAreInTheTable(t *testing.T) {
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(here), "..", "..", "sdk", "api")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, file)
	}
	known := map[string]bool{}
	for _, typ := range schemaTypes {
		known[typ.Name()] = true
	}
	for _, n := range append(inlineTypes, notWire...) {
		known[n] = true
	}
	found := 0
	for _, file := range files {
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.TYPE {
				continue
			}
			for _, spec := range gen.Specs {
				ts := spec.(*ast.TypeSpec)
				if _, isStruct := ts.Type.(*ast.StructType); !isStruct || !ts.Name.IsExported() {
					continue
				}
				found++
				if !known[ts.Name.Name] {
					t.Errorf("api.%s is in no table of this test (schemaTypes, inlineTypes, notWire)", ts.Name.Name)
				}
			}
		}
	}
	if found < len(schemaTypes) {
		t.Fatalf("found only %d struct types in %s", found, dir)
	}
}

// checkRefTo requires schema to be a $ref to the component of typ.
func checkRefTo(t *testing.T, where string, schema any, typ reflect.Type) {
	t.Helper()
	s, _ := schema.(jsonObj)
	ref, _ := s["$ref"].(string)
	name, ok := strings.CutPrefix(ref, "#/components/schemas/")
	if !ok {
		t.Errorf("%s: schema %v is no component reference, want %s's", where, schema, typ)
		return
	}
	if schemaTypes[name] != typ {
		t.Errorf("%s: refers to %s (%v), the server uses %s", where, name, schemaTypes[name], typ)
	}
}

// checkSchema compares a schema with the JSON encoding/json makes of typ.
func checkSchema(t *testing.T, where string, schema jsonObj, typ reflect.Type) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if _, isRef := schema["$ref"]; isRef {
		checkRefTo(t, where, schema, typ)
		return
	}
	got, _ := schema["type"].(string)
	want := jsonType(typ)
	if got != want {
		t.Errorf("%s: type %q, the server sends %q (%s)", where, got, want, typ)
		return
	}
	switch {
	case typ == reflect.TypeFor[time.Time]():
		if schema["format"] != "date-time" {
			t.Errorf("%s: a time, but format %v", where, schema["format"])
		}
	case typ.Kind() == reflect.Struct:
		props, _ := schema["properties"].(jsonObj)
		fields := jsonFields(typ)
		var gotNames, wantNames []string
		for name := range props {
			gotNames = append(gotNames, name)
		}
		for name := range fields {
			wantNames = append(wantNames, name)
		}
		sort.Strings(gotNames)
		sort.Strings(wantNames)
		if !slices.Equal(gotNames, wantNames) {
			t.Errorf("%s: properties %v, the server's JSON has %v (%s)", where, gotNames, wantNames, typ)
		}
		for name, prop := range props {
			if field, ok := fields[name]; ok {
				checkSchema(t, where+"."+name, prop.(jsonObj), field)
			}
		}
		for _, req := range asStrings(schema["required"]) {
			if _, ok := fields[req]; !ok {
				t.Errorf("%s: requires %s, which is no property", where, req)
			}
		}
	case typ.Kind() == reflect.Map:
		if typ.Key().Kind() != reflect.String {
			t.Fatalf("%s: map key %s", where, typ.Key())
		}
		extra, _ := schema["additionalProperties"].(jsonObj)
		if extra == nil {
			t.Errorf("%s: a map without additionalProperties", where)
			return
		}
		checkSchema(t, where+"[*]", extra, typ.Elem())
	case typ.Kind() == reflect.Slice:
		items, _ := schema["items"].(jsonObj)
		if items == nil {
			t.Errorf("%s: an array without items", where)
			return
		}
		checkSchema(t, where+"[]", items, typ.Elem())
	}
}

// jsonType is the JSON Schema type of typ's encoding.
func jsonType(typ reflect.Type) string {
	if typ == reflect.TypeFor[time.Time]() {
		return "string"
	}
	switch typ.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "unknown " + typ.Kind().String()
}

// jsonFields are the JSON names of typ's fields, as encoding/json names
// them (embedded structs' fields promoted), and their types.
func jsonFields(typ reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range typ.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for n, t := range jsonFields(ft) {
					if _, shadowed := out[n]; !shadowed {
						out[n] = t
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = ft
	}
	return out
}

// dig walks nested objects by key; nil when a key is missing.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(jsonObj)
		if m == nil {
			return nil
		}
		v = m[k]
	}
	return v
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, s.(string))
	}
	return out
}
