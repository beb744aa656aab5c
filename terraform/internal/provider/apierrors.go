package provider

import (
	"errors"
	"net/http"

	"github.com/sluice-mq/sluice/sdk/client"
)

// statusOf returns the HTTP status of a failed API call, or 0 when the
// call failed before the server answered.
func statusOf(err error) int {
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode
	}
	return 0
}

// isForbidden reports a 403 from the authorization check, as opposed to
// the queue routes' OverLimit, which is a 403 too.
func isForbidden(err error) bool {
	var apiErr *client.Error
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusForbidden && apiErr.Code == "Forbidden"
}

// isNotFound reports whether err says the object does not exist, the
// cue for Read to drop it from state so Terraform plans to create it.
func isNotFound(err error) bool { return client.IsNotFound(err) }

// errorHint adds what to check to an API error's text, for the failures
// whose cause is the provider's configuration rather than the resource.
func errorHint(err error) string {
	msg := err.Error()
	if isForbidden(err) {
		return msg + "\n\nThe token may not do this: a tenant-admin token manages only its own account, " +
			"and tenants need an operator token."
	}
	switch statusOf(err) {
	case http.StatusUnauthorized:
		return msg + "\n\nThe server refused the token: check the token attribute or the " + EnvToken +
			" environment variable (it may have expired or been revoked)."
	case 0:
		return msg + "\n\nCheck the endpoint attribute or the " + EnvEndpoint +
			" environment variable, and that the server is running."
	}
	return msg
}
