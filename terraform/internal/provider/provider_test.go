package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func TestProviderSchemaHasEndpointAndToken(t *testing.T) {
	server := newProtocolServer(t, nil)
	resp := getSchema(t.Context(), t, server)

	attrs := attributesByName(resp.Provider)
	endpoint := attrs["endpoint"]
	if endpoint == nil || !endpoint.Optional || endpoint.Sensitive || !endpoint.Type.Is(tftypes.String) {
		t.Errorf("endpoint attribute = %+v, want optional, non-sensitive string", endpoint)
	}
	token := attrs["token"]
	if token == nil || !token.Optional || !token.Sensitive || !token.Type.Is(tftypes.String) {
		t.Errorf("token attribute = %+v, want optional, sensitive string", token)
	}
	if len(attrs) != 2 {
		t.Errorf("provider has attributes %v, want only endpoint and token", keys(attrs))
	}
	if len(resp.ResourceSchemas) != 0 {
		t.Errorf("resources = %v, want none until the control plane exists", resp.ResourceSchemas)
	}
}

func TestProviderSchemaHasServerDataSource(t *testing.T) {
	server := newProtocolServer(t, nil)
	resp := getSchema(t.Context(), t, server)

	ds := resp.DataSourceSchemas["sluice_server"]
	if ds == nil {
		t.Fatalf("data source sluice_server missing; have %v", resp.DataSourceSchemas)
	}
	attrs := attributesByName(ds)
	for _, name := range []string{"status", "version"} {
		a := attrs[name]
		if a == nil || !a.Computed || a.Optional || a.Required || !a.Type.Is(tftypes.String) {
			t.Errorf("sluice_server.%s = %+v, want computed-only string", name, a)
		}
	}
}

func TestProviderMetadataListsServerDataSource(t *testing.T) {
	server := newProtocolServer(t, nil)
	resp, err := server.GetMetadata(t.Context(), &tfprotov6.GetMetadataRequest{})
	if err != nil {
		t.Fatalf("GetMetadata: %v", err)
	}
	requireNoErrors(t, resp.Diagnostics)
	if len(resp.DataSources) != 1 || resp.DataSources[0].TypeName != "sluice_server" {
		t.Errorf("data sources = %+v, want only sluice_server", resp.DataSources)
	}
	if len(resp.Resources) != 0 {
		t.Errorf("resources = %+v, want none", resp.Resources)
	}
}

func attributesByName(s *tfprotov6.Schema) map[string]*tfprotov6.SchemaAttribute {
	byName := make(map[string]*tfprotov6.SchemaAttribute)
	for _, a := range s.Block.Attributes {
		byName[a.Name] = a
	}
	return byName
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
