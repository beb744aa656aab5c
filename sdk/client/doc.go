// Package client is the Go SDK for a Sluice server's control plane: typed
// methods for every route of /v1/openapi.json, on the wire types of
// package [github.com/sluice-mq/sluice/sdk/api], and the health check.
//
//   - tenants: CreateTenant, ListTenants (an iterator) and ListTenantsPage,
//     GetTenant, UpdateTenant, DeleteTenant, SuspendTenant, ResumeTenant
//   - access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey,
//     DeleteAccessKey
//   - queues (with tiering settings and storage figures): CreateQueue,
//     ListQueues (an iterator) and ListQueuesPage, GetQueue, UpdateQueue,
//     DeleteQueue
//   - tokens: CreateToken, RevokeToken
//   - usage and billing: GetUsage, ListInvoices, GetInvoice,
//     GetInvoiceCSV, ListPlans, GetPlan, GetPlanVersion, PutPlan
//   - OpenAPI (the document) and Health (GET /healthz)
//
// A test holds the methods to [api.Routes], and an end-to-end test to the
// document a real server serves.
//
// Configuration: New takes the endpoint and options; WithToken sets the
// bearer JWT. With [FromEnvironment], an empty endpoint is read from
// SLUICE_ENDPOINT and a missing token from SLUICE_TOKEN; without it New
// reads no environment.
//
//	c, err := client.New("", client.FromEnvironment())
//	if err != nil {
//		return err
//	}
//	t, err := c.CreateTenant(ctx, api.CreateTenantRequest{Name: "acme"})
//
// Errors: a reply outside 2xx is an *[Error] with the HTTP status, the
// code of the server's error body (SQS's codes on queue routes) and its
// message. errors.Is matches it against [ErrNotFound], [ErrConflict],
// [ErrThrottled], [ErrUnauthorized], [ErrForbidden] and [ErrUnavailable]
// by status; [IsNotFound], [IsConflict] and [IsThrottled] are shorthands.
//
// Retries: a 429 or 503 is retried (the server refused before acting)
// under a [RetryPolicy], by default 4 attempts with full-jitter
// exponential backoff from 200 ms, at least the reply's Retry-After; a
// Retry-After past the policy's MaxDelay, any other status, or a
// transport error is returned at once. Every call takes a context, which
// also ends a backoff wait.
//
// The package depends on the standard library only, so programs
// embedding it (the Terraform provider, user applications) never pull in
// server dependencies.
package client
