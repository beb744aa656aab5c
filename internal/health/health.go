// Package health serves the liveness and readiness endpoint every Sluice
// role exposes at /healthz.
package health

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Path is where the endpoint is mounted.
const Path = "/healthz"

// Check is one dependency to probe, such as the kv store.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
}

// Status is the JSON body of the endpoint.
type Status struct {
	Status  string            `json:"status"` // "ok" or "unavailable"
	Version string            `json:"version"`
	Failed  map[string]string `json:"failed,omitempty"` // check name -> error
}

// probeTimeout bounds each check so a hung dependency turns into a 503,
// not a hung health probe.
const probeTimeout = 2 * time.Second

// Handler answers 200 when every check passes and 503 naming the failed
// checks otherwise.
func Handler(version string, checks ...Check) echo.HandlerFunc {
	return func(c echo.Context) error {
		st := Status{Status: "ok", Version: version}
		for _, ch := range checks {
			ctx, cancel := context.WithTimeout(c.Request().Context(), probeTimeout)
			err := ch.Probe(ctx)
			cancel()
			if err != nil {
				if st.Failed == nil {
					st.Failed = map[string]string{}
				}
				st.Failed[ch.Name] = err.Error()
			}
		}
		code := http.StatusOK
		if st.Failed != nil {
			st.Status, code = "unavailable", http.StatusServiceUnavailable
		}
		return c.JSON(code, st)
	}
}
