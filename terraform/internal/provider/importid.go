package provider

import (
	"fmt"
	"net/url"
	"strings"
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
