package client

import (
	"errors"
	"os"
)

// The environment variables FromEnvironment reads.
const (
	EnvEndpoint = "SLUICE_ENDPOINT"
	EnvToken    = "SLUICE_TOKEN"
)

// FromEnvironment makes New read the endpoint from SLUICE_ENDPOINT when its
// endpoint argument is empty, and the token from SLUICE_TOKEN when no
// WithToken gave a non-empty one: explicit settings win. Without this
// option New reads no environment, so a program decides whether its
// environment configures it.
func FromEnvironment() Option {
	return WithEnvironment(os.LookupEnv)
}

// WithEnvironment is FromEnvironment with lookup in place of
// os.LookupEnv, e.g. to read another source or to test without touching
// the process's environment.
func WithEnvironment(lookup func(key string) (string, bool)) Option {
	return func(c *Client) error {
		if lookup == nil {
			return errors.New("environment lookup must not be nil")
		}
		c.lookupEnv = lookup
		return nil
	}
}

// fromEnvironment fills an empty endpoint and token from the environment
// lookup, if one was set.
func (c *Client) fromEnvironment(endpoint, token string) (string, string) {
	if c.lookupEnv == nil {
		return endpoint, token
	}
	if endpoint == "" {
		endpoint, _ = c.lookupEnv(EnvEndpoint)
	}
	if token == "" {
		token, _ = c.lookupEnv(EnvToken)
	}
	return endpoint, token
}
