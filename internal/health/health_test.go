package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/internal/health"
)

func serve(t *testing.T, checks ...health.Check) (int, health.Status) {
	t.Helper()
	e := echo.New()
	e.GET(health.Path, health.Handler("v9", checks...))
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, health.Path, nil))
	var st health.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return rec.Code, st
}

func TestHealthy(t *testing.T) {
	code, st := serve(t, health.Check{Name: "kv", Probe: func(context.Context) error { return nil }})
	if code != http.StatusOK || st.Status != "ok" || st.Version != "v9" {
		t.Fatalf("got %d %+v", code, st)
	}
}

func TestFailedCheckIs503(t *testing.T) {
	code, st := serve(t,
		health.Check{Name: "kv", Probe: func(context.Context) error { return nil }},
		health.Check{Name: "blobs", Probe: func(context.Context) error { return errors.New("disk gone") }},
	)
	if code != http.StatusServiceUnavailable || st.Status != "unavailable" || st.Failed["blobs"] != "disk gone" || len(st.Failed) != 1 {
		t.Fatalf("got %d %+v", code, st)
	}
}

func TestHungCheckTimesOut(t *testing.T) {
	code, st := serve(t, health.Check{Name: "kv", Probe: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	if code != http.StatusServiceUnavailable || st.Failed["kv"] == "" {
		t.Fatalf("got %d %+v", code, st)
	}
}
