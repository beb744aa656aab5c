package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv"
)

// meteredKV is store wrapped by WrapKV with metrics on.
func meteredKV(tb testing.TB, store kv.Store) (*Telemetry, kv.Store) {
	tb.Helper()
	tel, err := New(context.Background(), Options{Metrics: true})
	if err != nil {
		tb.Fatal(err)
	}
	return tel, WrapKV(tel, store, "pebble")
}

var kvOutcomes = []struct {
	result string
	err    error
}{
	{"ok", nil},
	{"error", errors.New("boom")},
	{"conflict", fmt.Errorf("gave up: %w", kv.ErrConflict)},
	{"dropped", fmt.Errorf("fetch first: %w", kv.ErrDropped)},
}

// Each kind of transaction is counted under its own kind and result, and
// its retries under its kind: every (kind, result) pair is run a different
// number of times and each series must hold its own count.
func TestWrapKVLabelsEachKindAndResult(t *testing.T) {
	tel, s := meteredKV(t, &flaky{conflicts: 1})
	ctx := context.Background()
	kinds := []struct {
		kind string
		call func(error)
	}{
		{"update", func(e error) { _ = s.Update(ctx, func(kv.Txn) error { return e }) }},
		{"update_lazy", func(e error) { _ = kv.UpdateLazy(ctx, s, func(kv.Txn) error { return e }) }},
		{"view", func(e error) { _ = s.View(ctx, func(kv.Reader) error { return e }) }},
	}
	times := func(k, o int) int { return 1 + k*len(kvOutcomes) + o }
	for k, kind := range kinds {
		for o, out := range kvOutcomes {
			for range times(k, o) {
				kind.call(out.err)
			}
		}
	}
	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	count := func(series, labels string) int {
		t.Helper()
		m := regexp.MustCompile(series + `\{` + labels + `[^}]*\} (\d+)`).FindStringSubmatch(body)
		if m == nil {
			t.Errorf("no %s{%s}", series, labels)
			return -1
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	for k, kind := range kinds {
		calls := 0
		for o, out := range kvOutcomes {
			calls += times(k, o)
			labels := `kind="` + kind.kind + `",[^}]*result="` + out.result + `"`
			if got, want := count("sluice_kv_transaction_duration_seconds_count", labels), times(k, o); got != want {
				t.Errorf("kind=%s result=%s counted %d times, want %d", kind.kind, out.result, got, want)
			}
		}
		labels := `kind="` + kind.kind + `"`
		if got := count("sluice_kv_transaction_retries_total", labels); got != calls {
			t.Errorf("kind=%s: %d retries, want %d", kind.kind, got, calls)
		}
		if got := count("sluice_kv_transaction_conflicts_total", labels); got != calls {
			t.Errorf("kind=%s: %d conflicted transactions, want %d", kind.kind, got, calls)
		}
	}
}

// BenchmarkWrapKV is the wrapper's cost on a store that does nothing:
// what timing and counting add to every transaction.
func BenchmarkWrapKV(b *testing.B) {
	_, s := meteredKV(b, &flaky{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Update(ctx, func(kv.Txn) error { return nil })
	}
}
