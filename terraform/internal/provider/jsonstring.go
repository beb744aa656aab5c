package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// jsonStringType is a string attribute holding a JSON document (a policy,
// a redrive policy). Two documents that differ only in key order,
// whitespace or number spelling are the same value, so neither the
// server's re-encoding nor a reformatted configuration shows as a diff.
// The empty string stands for "none", as in SetQueueAttributes.
type jsonStringType struct {
	basetypes.StringType
}

var (
	_ basetypes.StringTypable                    = jsonStringType{}
	_ basetypes.StringValuableWithSemanticEquals = jsonString{}
	_ xattr.ValidateableAttribute                = jsonString{}
)

func (t jsonStringType) Equal(o attr.Type) bool {
	_, ok := o.(jsonStringType)
	return ok
}

func (t jsonStringType) String() string { return "jsonStringType" }

func (t jsonStringType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return jsonString{StringValue: in}, nil
}

func (t jsonStringType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return jsonString{StringValue: s}, nil
}

func (t jsonStringType) ValueType(context.Context) attr.Value { return jsonString{} }

// jsonString is a value of jsonStringType.
type jsonString struct {
	basetypes.StringValue
}

func newJSONString(s string) jsonString { return jsonString{StringValue: basetypes.NewStringValue(s)} }

func jsonNull() jsonString { return jsonString{StringValue: basetypes.NewStringNull()} }

func (v jsonString) Type(context.Context) attr.Type { return jsonStringType{} }

func (v jsonString) Equal(o attr.Value) bool {
	other, ok := o.(jsonString)
	return ok && v.StringValue.Equal(other.StringValue)
}

// StringSemanticEquals keeps the prior value when the server answers the
// same document spelled differently.
func (v jsonString) StringSemanticEquals(_ context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	nv, ok := newValuable.(jsonString)
	if !ok {
		diags.AddError("Semantic equality check error", fmt.Sprintf("expected jsonString, got %T. This is a bug in the provider.", newValuable))
		return false, diags
	}
	return sameJSON(v.ValueString(), nv.ValueString()), diags
}

func (v jsonString) ValidateAttribute(_ context.Context, req xattr.ValidateAttributeRequest, resp *xattr.ValidateAttributeResponse) {
	if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
		return
	}
	var doc any
	if err := json.Unmarshal([]byte(v.ValueString()), &doc); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid JSON",
			fmt.Sprintf("The value must be a JSON document (for example from jsonencode()), or \"\" for none: %s", err))
		return
	}
	if _, ok := doc.(map[string]any); !ok {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid JSON", "The value must be a JSON object.")
	}
}

// sameJSON reports whether a and b encode the same JSON value. Two empty
// strings are the same; text that is not JSON equals only itself.
func sameJSON(a, b string) bool {
	if a == b {
		return true
	}
	var da, db any
	if json.Unmarshal([]byte(a), &da) != nil || json.Unmarshal([]byte(b), &db) != nil {
		return false
	}
	return reflect.DeepEqual(da, db)
}

// keepSemanticallyEqualJSON plans the prior value when the configured
// document is the same JSON, so reformatting a policy plans no update.
type keepSemanticallyEqualJSON struct{}

func (keepSemanticallyEqualJSON) Description(context.Context) string {
	return "A JSON document equal to the one in state, up to key order and whitespace, plans no change."
}

func (m keepSemanticallyEqualJSON) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (keepSemanticallyEqualJSON) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || req.PlanValue.IsNull() || req.PlanValue.IsUnknown() {
		return
	}
	if sameJSON(req.StateValue.ValueString(), req.PlanValue.ValueString()) {
		resp.PlanValue = req.StateValue
	}
}
