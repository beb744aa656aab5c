package provider

import (
	"context"
	"fmt"
	"net/http"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/sluice-mq/sluice/sdk/client"
)

// providerModel mirrors the provider block's schema.
type providerModel struct {
	Endpoint types.String `tfsdk:"endpoint"`
	Token    types.String `tfsdk:"token"`
	Account  types.String `tfsdk:"account"`
}

// Configure builds the SDK client shared by all resources and data
// sources and checks the endpoint, the token and the account once, so a
// wrong setting fails at plan time with one clear message instead of
// once per resource.
func (p *sluiceProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}

	// A value computed from another resource is unknown during plan; the
	// client cannot be built from it.
	for _, s := range []struct {
		name, env string
		value     types.String
	}{{"endpoint", EnvEndpoint, config.Endpoint}, {"token", EnvToken, config.Token}, {"account", EnvAccount, config.Account}} {
		if s.value.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(s.name), "Unknown Sluice "+s.name,
				"The "+s.name+" depends on a value that is not known until apply. Use a literal value, a variable, or the "+s.env+" environment variable.")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	endpoint := stringOrEnv(config.Endpoint, p.getenv(EnvEndpoint))
	token := stringOrEnv(config.Token, p.getenv(EnvToken))
	account := stringOrEnv(config.Account, p.getenv(EnvAccount))
	if endpoint == "" {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Missing Sluice endpoint",
			"Set the endpoint attribute in the provider \"sluice\" block or the "+EnvEndpoint+
				" environment variable to the server's base URL, e.g. https://sluice.example.com.")
		return
	}
	if account == "" {
		account = tokenAccount(token)
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
	checkCredentials(ctx, c, account, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	pd := &providerData{api: c, endpoint: c.Endpoint(), account: account}
	resp.DataSourceData = pd
	resp.ResourceData = pd
}

// checkCredentials makes one authenticated call, since the health check
// takes no token: reading the account's tenant with an account (what a
// tenant-admin token may do), else the first page of tenants (what only
// an operator may).
func checkCredentials(ctx context.Context, c controlPlane, account string, diags *diag.Diagnostics) {
	var err error
	if account != "" {
		_, err = c.GetTenant(ctx, account)
	} else {
		_, err = c.ListTenantsPage(ctx, 1, "")
	}
	if err == nil {
		return
	}
	switch {
	case statusOf(err) == http.StatusUnauthorized:
		diags.AddAttributeError(path.Root("token"), "Invalid Sluice token",
			fmt.Sprintf("The server refused the token: %s\n\nSet the token attribute or the %s environment variable "+
				"to a valid token (`sluice token create`); it may have expired or been revoked.", err, EnvToken))
	case isForbidden(err) && account != "":
		diags.AddAttributeError(path.Root("account"), "Forbidden Sluice account",
			fmt.Sprintf("The token may not manage account %s: %s\n\nA tenant-admin token manages only its own account; "+
				"fix the account attribute (or %s), or use that account's token.", account, err, EnvAccount))
	case isForbidden(err):
		diags.AddAttributeError(path.Root("account"), "Missing Sluice account",
			fmt.Sprintf("The token is not an operator token (%s), so the provider needs the account it manages: "+
				"set the account attribute or the %s environment variable.", err, EnvAccount))
	case isNotFound(err) && account != "":
		diags.AddAttributeError(path.Root("account"), "Unknown Sluice account",
			fmt.Sprintf("No tenant has account id %s: %s", account, err))
	default:
		diags.AddError("Cannot check the Sluice credentials", errorHint(err))
	}
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
	if s := statusOf(err); s == http.StatusUnauthorized || s == http.StatusForbidden {
		return "Check the token attribute or the " + EnvToken + " environment variable."
	}
	return "Check the endpoint attribute or the " + EnvEndpoint + " environment variable, and that the server is running."
}
