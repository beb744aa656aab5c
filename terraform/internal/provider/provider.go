// Package provider implements the Sluice Terraform provider on
// terraform-plugin-framework. It talks to the server only through the Go
// SDK (github.com/sluice-mq/sluice/sdk/client).
package provider

import (
	"context"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// Address is the provider's registry address, used to serve it and in
// Terraform CLI configuration (e.g. dev_overrides).
const Address = "registry.terraform.io/sluice-mq/sluice"

// typeName prefixes every resource and data source name ("sluice_...").
const typeName = "sluice"

// Environment variables read when the provider block leaves a setting unset.
const (
	EnvEndpoint = "SLUICE_ENDPOINT"
	EnvToken    = "SLUICE_TOKEN"
	EnvAccount  = "SLUICE_ACCOUNT"
)

// New returns the constructor providerserver expects. version is reported
// to Terraform and in the User-Agent of API calls.
func New(version string) func() provider.Provider {
	return newWithEnv(version, os.Getenv)
}

// newWithEnv lets tests supply the environment instead of mutating the
// process's own.
func newWithEnv(version string, getenv func(string) string) func() provider.Provider {
	return func() provider.Provider {
		return &sluiceProvider{version: version, getenv: getenv}
	}
}

type sluiceProvider struct {
	version string
	getenv  func(string) string
}

var _ provider.Provider = (*sluiceProvider)(nil)

func (p *sluiceProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = typeName
	resp.Version = p.version
}

func (p *sluiceProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Manages a Sluice multi-tenant message queue server.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				Description: "Base URL of the Sluice server, e.g. https://sluice.example.com. " +
					"Defaults to the " + EnvEndpoint + " environment variable.",
				Optional: true,
			},
			"token": schema.StringAttribute{
				Description: "Bearer token (JWT) sent with every API request. " +
					"Defaults to the " + EnvToken + " environment variable.",
				Optional:  true,
				Sensitive: true,
			},
			"account": schema.StringAttribute{
				Description: "12-digit account id of the tenant that queues and access keys belong to unless they " +
					"name their own. Defaults to the " + EnvAccount + " environment variable, then to the account " +
					"of a tenant-admin token. An operator token without an account manages tenants only, " +
					"or resources that set account themselves.",
				Optional: true,
			},
		},
	}
}

func (p *sluiceProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newServerDataSource,
		newQueueDataSource,
		newQueuesDataSource,
		newTenantDataSource,
	}
}

func (p *sluiceProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newQueueResource,
		newTopicResource,
		newTopicSubscriptionResource,
		newQueueRedrivePolicyResource,
		newQueueRedriveAllowPolicyResource,
		newQueuePolicyResource,
		newTenantResource,
		newAccessKeyResource,
	}
}
