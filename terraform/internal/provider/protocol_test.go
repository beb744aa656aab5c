package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// These helpers drive the provider through the same protocol-6 gRPC
// interface Terraform uses, without a Terraform binary.

// newProtocolServer serves a provider that sees env as its environment.
func newProtocolServer(t *testing.T, env map[string]string) tfprotov6.ProviderServer {
	t.Helper()
	getenv := func(key string) string { return env[key] }
	server, err := providerserver.NewProtocol6WithError(newWithEnv("test", getenv)())()
	if err != nil {
		t.Fatalf("create provider server: %v", err)
	}
	return server
}

func getSchema(ctx context.Context, t *testing.T, server tfprotov6.ProviderServer) *tfprotov6.GetProviderSchemaResponse {
	t.Helper()
	resp, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatalf("GetProviderSchema: %v", err)
	}
	requireNoErrors(t, resp.Diagnostics)
	return resp
}

// objectValue encodes attrs (attribute name to Go string, nil for null) as
// a value of schema's object type; attributes not given are null.
func objectValue(t *testing.T, schema *tfprotov6.Schema, attrs map[string]*string) *tfprotov6.DynamicValue {
	t.Helper()
	objType := schema.ValueType().(tftypes.Object)
	values := make(map[string]tftypes.Value, len(objType.AttributeTypes))
	for name, typ := range objType.AttributeTypes {
		var v any // nil encodes null
		if s := attrs[name]; s != nil {
			v = *s
		}
		values[name] = tftypes.NewValue(typ, v)
	}
	dv, err := tfprotov6.NewDynamicValue(objType, tftypes.NewValue(objType, values))
	if err != nil {
		t.Fatalf("encode config: %v", err)
	}
	return &dv
}

// configure sends ConfigureProvider with the given provider block values.
func configure(ctx context.Context, t *testing.T, server tfprotov6.ProviderServer, attrs map[string]*string) []*tfprotov6.Diagnostic {
	t.Helper()
	schema := getSchema(ctx, t, server).Provider
	resp, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{
		TerraformVersion: "1.11.4",
		Config:           objectValue(t, schema, attrs),
	})
	if err != nil {
		t.Fatalf("ConfigureProvider: %v", err)
	}
	return resp.Diagnostics
}

func ptr(s string) *string { return &s }

func requireNoErrors(t *testing.T, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			t.Fatalf("unexpected error diagnostic: %s: %s", d.Summary, d.Detail)
		}
	}
}

// requireError returns the single error diagnostic and checks that its text
// mentions every string in mentions.
func requireError(t *testing.T, diags []*tfprotov6.Diagnostic, mentions ...string) *tfprotov6.Diagnostic {
	t.Helper()
	var errs []*tfprotov6.Diagnostic
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			errs = append(errs, d)
		}
	}
	if len(errs) != 1 {
		t.Fatalf("got %d error diagnostics, want 1: %v", len(errs), diags)
	}
	text := errs[0].Summary + "\n" + errs[0].Detail
	for _, m := range mentions {
		if !strings.Contains(text, m) {
			t.Errorf("diagnostic %q does not mention %q", text, m)
		}
	}
	return errs[0]
}
