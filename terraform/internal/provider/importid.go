package provider

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// parseQueueID reads a queue's import id: its URL ({endpoint}/{account}/
// {name}; only the last two path segments count, as on the SQS API) or
// account/name.
func parseQueueID(id string) (account, name string, err error) {
	rest := id
	if strings.Contains(id, "://") {
		u, perr := url.Parse(id)
		if perr != nil {
			return "", "", fmt.Errorf("queue URL %q: %w", id, perr)
		}
		rest = strings.Trim(u.Path, "/")
		if i := strings.LastIndexByte(rest, '/'); i >= 0 {
			if j := strings.LastIndexByte(rest[:i], '/'); j >= 0 {
				rest = rest[j+1:]
			}
		}
	}
	account, name, ok := strings.Cut(rest, "/")
	if !ok || !accountIDRe.MatchString(account) || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("want a queue URL (http://host/123456789012/name) or account/name (123456789012/name), got %q", id)
	}
	return account, name, nil
}

// parseAccessKeyID reads an access key's import id, account/keyid.
func parseAccessKeyID(id string) (account, keyID string, err error) {
	account, keyID, ok := strings.Cut(id, "/")
	if !ok || !accountIDRe.MatchString(account) || keyID == "" || strings.Contains(keyID, "/") {
		return "", "", fmt.Errorf("want account/keyid (123456789012/SLK...), got %q", id)
	}
	return account, keyID, nil
}

// importAccountAnd imports a resource whose id parse splits into its
// account and the attribute named second (a queue's or topic's name, a
// key's id).
func importAccountAnd(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse,
	second string, parse func(id string) (account, value string, err error)) {
	account, value, err := parse(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import id", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("account"), types.StringValue(account))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(second), types.StringValue(value))...)
}
