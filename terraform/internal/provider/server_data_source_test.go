package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestServerDataSourceReadsHealth(t *testing.T) {
	ctx := t.Context()
	endpoint, _ := newHealthServer(t, "0.4.2")
	server := newProtocolServer(t, nil)
	requireNoErrors(t, configure(ctx, t, server, map[string]*string{"endpoint": ptr(endpoint)}))

	schema := getSchema(ctx, t, server).DataSourceSchemas["sluice_server"]
	resp, err := server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{
		TypeName: "sluice_server",
		Config:   objectValue(t, schema, nil),
	})
	if err != nil {
		t.Fatalf("ReadDataSource: %v", err)
	}
	requireNoErrors(t, resp.Diagnostics)

	state, err := resp.State.Unmarshal(schema.ValueType())
	if err != nil {
		t.Fatalf("decode state: %v", err)
	}
	got := stringAttributes(t, state)
	if got["status"] != "ok" || got["version"] != "0.4.2" {
		t.Errorf("state = %v, want status ok and version 0.4.2", got)
	}
}

func stringAttributes(t *testing.T, object tftypes.Value) map[string]string {
	t.Helper()
	var attrs map[string]tftypes.Value
	if err := object.As(&attrs); err != nil {
		t.Fatalf("state is not an object: %v", err)
	}
	out := make(map[string]string, len(attrs))
	for name, v := range attrs {
		var s string
		if err := v.As(&s); err != nil {
			t.Fatalf("attribute %s: %v", name, err)
		}
		out[name] = s
	}
	return out
}
