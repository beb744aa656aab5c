// Package client is the Go SDK for talking to a Sluice server over HTTP.
//
// Today it covers the one endpoint the server exposes, the health check
// (GET /healthz). The control-plane API (tenants, queues, credentials), the
// producer and the consumer will be added to this package as the server
// grows them, sharing the same [Client], its options and its error type.
// The control plane's request and reply bodies are already in package
// [github.com/sluice-mq/sluice/sdk/api].
//
// The package depends on the standard library only, so that programs
// embedding it (the Terraform provider, user applications) never pull in
// server dependencies.
//
// A minimal use:
//
//	c, err := client.New("https://sluice.example.com", client.WithToken(jwt))
//	if err != nil {
//		return err
//	}
//	h, err := c.Health(ctx)
//
// Responses outside the 2xx range are returned as *[APIError], which
// carries the code and message of the server's error body ([api.Error]);
// inspect them with [errors.As].
package client
