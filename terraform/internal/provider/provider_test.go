package provider

import (
	"slices"
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
	account := attrs["account"]
	if account == nil || !account.Optional || account.Sensitive || !account.Type.Is(tftypes.String) {
		t.Errorf("account attribute = %+v, want optional, non-sensitive string", account)
	}
	if len(attrs) != 3 {
		t.Errorf("provider has attributes %v, want only endpoint, token and account", keys(attrs))
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

func TestProviderMetadataListsResourcesAndDataSources(t *testing.T) {
	server := newProtocolServer(t, nil)
	resp, err := server.GetMetadata(t.Context(), &tfprotov6.GetMetadataRequest{})
	if err != nil {
		t.Fatalf("GetMetadata: %v", err)
	}
	requireNoErrors(t, resp.Diagnostics)
	var dataSources, resources []string
	for _, d := range resp.DataSources {
		dataSources = append(dataSources, d.TypeName)
	}
	for _, r := range resp.Resources {
		resources = append(resources, r.TypeName)
	}
	slices.Sort(dataSources)
	slices.Sort(resources)
	if want := []string{"sluice_queue", "sluice_queues", "sluice_server", "sluice_tenant"}; !slices.Equal(dataSources, want) {
		t.Errorf("data sources = %v, want %v", dataSources, want)
	}
	want := []string{"sluice_access_key", "sluice_queue", "sluice_queue_policy", "sluice_queue_redrive_allow_policy",
		"sluice_queue_redrive_policy", "sluice_tenant", "sluice_topic", "sluice_topic_subscription"}
	if !slices.Equal(resources, want) {
		t.Errorf("resources = %v, want %v", resources, want)
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
