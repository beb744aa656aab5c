// Package api holds the request and reply bodies of the Sluice control
// plane's REST API (the routes under /v1 that the server describes at
// /v1/openapi.json): tenants, their quotas, access keys, queues,
// tokens, invoices and price plans.
//
// The server encodes its replies from these types and decodes requests
// into them, so their JSON is the wire format; a test in the server holds
// them and the OpenAPI document together. The package depends on the
// standard library only, so the SDK, the Terraform provider and user
// programs can use it without pulling in the server.
//
// Times are encoded as RFC 3339 strings with up to nanosecond precision
// (encoding/json's form of [time.Time]). Optional request fields are
// omitted from the JSON when they are zero; the server treats a zero and
// an absent field alike.
//
// Every error reply is an [Error]: {"error":{"code":…,"message":…}}.
package api
