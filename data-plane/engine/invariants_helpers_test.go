package engine_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/internal/kv"
)

// With the sluice_invariants build tag, every engine a test makes through
// its helpers is checked when the test ends (invariants.go): once every
// engine on the store has been closed (and so has flushed), the checks run
// over the store and a violation fails the test with the invariant's name.
// Without the tag nothing is registered.

// invariantRuns holds, per store, the engines a pending check covers, and
// the tests that opted out.
var invariantRuns = struct {
	sync.Mutex
	engines map[kv.Store][]*engine.Engine
	skipped map[string]string // test name: reason
}{engines: map[kv.Store][]*engine.Engine{}, skipped: map[string]string{}}

// checkInvariantsAtEnd runs the invariant checks over e's store when t
// ends. Engines sharing a store share one check: the first engine's, which
// was registered before any of their Close calls and so runs after them
// all. Call it right after engine.New, before registering Close.
func checkInvariantsAtEnd(t testing.TB, store kv.Store, e *engine.Engine) {
	t.Helper()
	if !engine.InvariantsEnabled {
		return
	}
	store = unwrapStore(store)
	if v := reflect.ValueOf(store); !v.Comparable() {
		t.Cleanup(func() { runInvariants(t, []*engine.Engine{e}) })
		return
	}
	invariantRuns.Lock()
	defer invariantRuns.Unlock()
	engines, pending := invariantRuns.engines[store]
	invariantRuns.engines[store] = append(engines, e)
	if pending {
		return
	}
	t.Cleanup(func() {
		invariantRuns.Lock()
		engines := invariantRuns.engines[store]
		delete(invariantRuns.engines, store)
		invariantRuns.Unlock()
		runInvariants(t, engines)
	})
}

// unwrapStore returns the store under test decorators (structs that embed
// a kv.Store, by pointer), so engines over one store through different
// decorators share one check.
func unwrapStore(s kv.Store) kv.Store {
	storeType := reflect.TypeFor[kv.Store]()
	for {
		v := reflect.ValueOf(s)
		if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
			return s
		}
		f, ok := v.Elem().Type().FieldByName("Store")
		if !ok || !f.Anonymous || f.Type != storeType {
			return s
		}
		inner, ok := v.Elem().FieldByIndex(f.Index).Interface().(kv.Store)
		if !ok || inner == nil {
			return s
		}
		s = inner
	}
}

// skipInvariants opts t and its subtests out of the invariant checks, for
// tests that leave the store inconsistent on purpose (a crash, a power
// loss).
func skipInvariants(t testing.TB, reason string) {
	t.Helper()
	invariantRuns.Lock()
	defer invariantRuns.Unlock()
	invariantRuns.skipped[t.Name()] = reason // kept: the checks run at cleanup
}

func invariantsSkipped(t testing.TB) bool {
	invariantRuns.Lock()
	defer invariantRuns.Unlock()
	for name := range invariantRuns.skipped {
		if t.Name() == name || strings.HasPrefix(t.Name(), name+"/") {
			return true
		}
	}
	return false
}

// runInvariants flushes every engine (they are closed by now, and a closed
// engine has flushed already) and checks the store through the first one.
func runInvariants(t testing.TB, engines []*engine.Engine) {
	if t.Failed() || t.Skipped() || invariantsSkipped(t) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, e := range engines[1:] {
		if err := e.Flush(ctx); err != nil {
			t.Errorf("flush before the invariant checks: %v", err)
			return
		}
	}
	if err := engine.CheckInvariants(ctx, engines[0]); err != nil {
		t.Errorf("after the test: %v", err)
	}
}
