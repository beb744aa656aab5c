package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sluice-mq/sluice/sdk/client"
)

// providerModel mirrors the provider block's schema.
type providerModel struct {
	Endpoint types.String `tfsdk:"endpoint"`
	Token    types.String `tfsdk:"token"`
}

// Configure builds the SDK client shared by all data sources and checks the
// server's health, so a wrong endpoint or token fails at plan time with one
// clear message instead of once per data source.
func (p *sluiceProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	// A value computed from another resource is unknown during plan; the
	// client cannot be built from it.
	if config.Endpoint.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Unknown Sluice endpoint",
			"The endpoint depends on a value that is not known until apply. Use a literal value, a variable, or the "+EnvEndpoint+" environment variable.")
	}
	if config.Token.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("token"), "Unknown Sluice token",
			"The token depends on a value that is not known until apply. Use a literal value, a variable, or the "+EnvToken+" environment variable.")
	}
	if resp.Diagnostics.HasError() {
		return
	}

	endpoint := stringOrEnv(config.Endpoint, p.getenv(EnvEndpoint))
	token := stringOrEnv(config.Token, p.getenv(EnvToken))
	if endpoint == "" {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Missing Sluice endpoint",
			"Set the endpoint attribute in the provider \"sluice\" block or the "+EnvEndpoint+
				" environment variable to the server's base URL, e.g. https://sluice.example.com.")
		return
	}

	c, err := client.New(endpoint,
		client.WithToken(token),
		client.WithUserAgent(userAgent(p.version, req.TerraformVersion)),
	)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Invalid Sluice endpoint",
			fmt.Sprintf("The endpoint (from the endpoint attribute or %s) is not usable: %s", EnvEndpoint, err))
		return
	}

	if _, err := c.Health(ctx); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Cannot reach Sluice server",
			fmt.Sprintf("The health check against endpoint %s failed: %s\n\n%s", c.Endpoint(), err, healthHint(err)))
		return
	}

	resp.DataSourceData = c
}

// stringOrEnv prefers the configured value and falls back to the
// environment, the usual precedence for Terraform provider settings.
func stringOrEnv(configured types.String, fromEnv string) string {
	if !configured.IsNull() {
		return configured.ValueString()
	}
	return fromEnv
}

func userAgent(providerVersion, terraformVersion string) string {
	ua := "terraform-provider-sluice/" + providerVersion
	if terraformVersion != "" {
		ua += " terraform/" + terraformVersion
	}
	return ua
}

// healthHint points at the setting most likely to be wrong.
func healthHint(err error) string {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) &&
		(apiErr.StatusCode == http.StatusUnauthorized || apiErr.StatusCode == http.StatusForbidden) {
		return "Check the token attribute or the " + EnvToken + " environment variable."
	}
	return "Check the endpoint attribute or the " + EnvEndpoint + " environment variable, and that the server is running."
}
