package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestSameJSON(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"b":[1,2]}`, "{ \"b\": [1, 2],\n  \"a\": 1 }", true},
		{`{"maxReceiveCount":5}`, `{"maxReceiveCount":5.0}`, true},
		{"", "", true},
		{`{"maxReceiveCount":5}`, `{"maxReceiveCount":"5"}`, false},
		{`{"b":[1,2]}`, `{"b":[2,1]}`, false},
		{`{"a":1}`, "", false},
		{"{not json", "{not json", true},
		{"{not json", "{not  json", false},
	} {
		if got := sameJSON(tc.a, tc.b); got != tc.want {
			t.Errorf("sameJSON(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestJSONStringSemanticEquals(t *testing.T) {
	ctx := context.Background()
	prior := newJSONString(`{"a":1,"b":2}`)
	equal, diags := prior.StringSemanticEquals(ctx, newJSONString(`{"b":2,"a":1}`))
	if diags.HasError() || !equal {
		t.Errorf("reordered keys: equal = %v (%v), want true", equal, diags)
	}
	equal, _ = prior.StringSemanticEquals(ctx, newJSONString(`{"a":1,"b":3}`))
	if equal {
		t.Error("different values compare equal")
	}
}

func TestKeepSemanticallyEqualJSONPlansPriorSpelling(t *testing.T) {
	ctx := context.Background()
	state := types.StringValue(`{"a":1,"b":2}`)
	for _, tc := range []struct {
		planned string
		want    types.String
	}{
		{`{ "b": 2, "a": 1 }`, state},
		{`{"a":1,"b":3}`, types.StringValue(`{"a":1,"b":3}`)},
	} {
		req := planmodifier.StringRequest{StateValue: state, PlanValue: types.StringValue(tc.planned), ConfigValue: types.StringValue(tc.planned)}
		resp := &planmodifier.StringResponse{PlanValue: req.PlanValue}
		keepSemanticallyEqualJSON{}.PlanModifyString(ctx, req, resp)
		if !resp.PlanValue.Equal(tc.want) {
			t.Errorf("planned %s: plan = %s, want %s", tc.planned, resp.PlanValue, tc.want)
		}
	}
}
