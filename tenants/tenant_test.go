package tenants_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/tenants"
)

func TestCreateAndGetTenantRoundTrip(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		created, err := e.cat.CreateTenant(ctx, tenants.CreateTenantInput{AccountID: "111122223333", Name: "Acme Ünïcode"})
		if err != nil {
			t.Fatal(err)
		}
		want := tenants.Tenant{
			AccountID: "111122223333", Name: "Acme Ünïcode", Status: tenants.StatusActive, Plan: tenants.DefaultPlan,
			Incarnation: created.Incarnation, CreatedAt: e.clock.Now().UTC(), UpdatedAt: e.clock.Now().UTC(),
		}
		if len(created.Incarnation) < 16 {
			t.Fatalf("incarnation %q: want a random id", created.Incarnation)
		}
		if created != want {
			t.Fatalf("created %+v, want %+v", created, want)
		}
		got, err := e.cat.GetTenant(ctx, "111122223333")
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	})
}

func TestGeneratedAccountIDsAreTwelveDigitsAndUnique(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		const n = 200
		seen := make(map[string]bool, n)
		for range n {
			tn, err := e.cat.CreateTenant(ctx, tenants.CreateTenantInput{})
			if err != nil {
				t.Fatal(err)
			}
			id := tn.AccountID
			if len(id) != 12 || strings.Trim(id, "0123456789") != "" || id[0] == '0' {
				t.Fatalf("generated account id %q", id)
			}
			if seen[id] {
				t.Fatalf("account id %s generated twice", id)
			}
			seen[id] = true
		}
		list, _, err := e.cat.ListTenants(ctx, tenants.MaxListLimit, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != n {
			t.Fatalf("%d tenants stored, want %d", len(list), n)
		}
	})
}

func TestCreateTenantRejectsMalformedAccountID(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		for _, id := range []string{"11112222333", "1111222233334", "11112222333a", " 11112222333", "1111-2222-33", "-11122223333", "١١١١٢٢٢٢٣٣٣٣", "111122223333/"} {
			_, err := e.cat.CreateTenant(ctx, tenants.CreateTenantInput{AccountID: id})
			var invalid *tenants.InvalidInputError
			if !errors.Is(err, tenants.ErrInvalidInput) || !errors.As(err, &invalid) || invalid.Field != "account id" {
				t.Fatalf("account id %q: %v, want an invalid account id error", id, err)
			}
		}
		if all := scanAll(t, e.store); len(all) != 0 {
			t.Fatalf("rejected creates stored %d keys", len(all))
		}
		if _, err := e.cat.CreateTenant(ctx, tenants.CreateTenantInput{AccountID: "000000000001"}); err != nil {
			t.Fatalf("a given id may start with 0: %v", err)
		}
	})
}

func TestCreateTenantValidatesName(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		longest := strings.Repeat("é", 80) // 80 characters, 160 bytes
		if _, err := e.cat.CreateTenant(ctx, tenants.CreateTenantInput{Name: longest}); err != nil {
			t.Fatalf("80-character name: %v", err)
		}
		for _, name := range []string{longest + "x", "tab\there", "nul\x00", "bad utf8 \xff"} {
			if _, err := e.cat.CreateTenant(ctx, tenants.CreateTenantInput{Name: name}); !errors.Is(err, tenants.ErrInvalidInput) {
				t.Fatalf("name %q: %v, want ErrInvalidInput", name, err)
			}
		}
	})
}

func TestCreateTenantTakenIDFails(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		first, err := e.cat.CreateTenant(ctx, tenants.CreateTenantInput{AccountID: "111122223333", Name: "first"})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		_, err = e.cat.CreateTenant(ctx, tenants.CreateTenantInput{AccountID: "111122223333", Name: "second"})
		if !errors.Is(err, tenants.ErrTenantExists) {
			t.Fatalf("second create: %v, want ErrTenantExists", err)
		}
		if got, _ := e.cat.GetTenant(ctx, "111122223333"); got != first {
			t.Fatalf("tenant changed to %+v", got)
		}
	})
}

func TestConcurrentCreateTenantSameIDExactlyOneWins(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		const rounds, creators = 5, 8
		for round := range rounds {
			id := fmt.Sprintf("5555000000%02d", round)
			var wg sync.WaitGroup
			errs := make([]error, creators)
			for i := range creators {
				// One Catalog per creator, as on separate nodes.
				c := e.node(tenants.Options{})
				wg.Go(func() {
					_, errs[i] = c.CreateTenant(ctx, tenants.CreateTenantInput{AccountID: id, Name: fmt.Sprint(i)})
				})
			}
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, tenants.ErrTenantExists):
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if wins != 1 {
				t.Fatalf("round %d: %d creators succeeded, want 1", round, wins)
			}
		}
	})
}

func TestGetTenantErrors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		if _, err := e.cat.GetTenant(ctx, "999999999999"); !errors.Is(err, tenants.ErrTenantNotFound) {
			t.Fatalf("missing tenant: %v, want ErrTenantNotFound", err)
		}
		if _, err := e.cat.GetTenant(ctx, "nope"); !errors.Is(err, tenants.ErrInvalidInput) {
			t.Fatalf("malformed id: %v, want ErrInvalidInput", err)
		}
	})
}

func TestListTenantsPages(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		var want []string
		for i := range 7 {
			id := fmt.Sprintf("2000000000%02d", 7-i) // created out of order
			mustCreateTenant(t, e.cat, id)
			want = append([]string{id}, want...)
		}
		var got []string
		after, pages := "", 0
		for {
			page, next, err := e.cat.ListTenants(ctx, 3, after)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, tn := range page {
				got = append(got, tn.AccountID)
			}
			if next == "" {
				break
			}
			if pages > 3 {
				t.Fatal("pages never end")
			}
			after = next
		}
		if pages != 3 || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%d pages listing %v, want 3 listing %v", pages, got, want)
		}
		if page, next, err := e.cat.ListTenants(ctx, 0, want[6]); err != nil || len(page) != 0 || next != "" {
			t.Fatalf("after the last: %v %q %v", page, next, err)
		}
		if page, _, err := e.cat.ListTenants(ctx, 100, want[6]); err != nil || len(page) != 0 {
			t.Fatalf("after the last: %v %v", page, err)
		}
		if page, next, err := e.cat.ListTenants(ctx, 7, ""); err != nil || len(page) != 7 || next != "" {
			t.Fatalf("exact page: %d tenants, next %q, %v", len(page), next, err)
		}
		if _, _, err := e.cat.ListTenants(ctx, 3, "x"); !errors.Is(err, tenants.ErrInvalidInput) {
			t.Fatalf("malformed after: %v, want ErrInvalidInput", err)
		}
	})
}

func TestSetTenantStatus(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		created := mustCreateTenant(t, e.cat, "111122223333")
		e.clock.Advance(time.Hour)
		suspended, err := e.cat.SetTenantStatus(ctx, "111122223333", tenants.StatusSuspended)
		if err != nil {
			t.Fatal(err)
		}
		if suspended.Status != tenants.StatusSuspended || !suspended.CreatedAt.Equal(created.CreatedAt) || !suspended.UpdatedAt.Equal(e.clock.Now()) {
			t.Fatalf("suspended: %+v", suspended)
		}
		if got, _ := e.cat.GetTenant(ctx, "111122223333"); got != suspended {
			t.Fatalf("stored %+v, want %+v", got, suspended)
		}
		e.clock.Advance(time.Hour)
		again, err := e.cat.SetTenantStatus(ctx, "111122223333", tenants.StatusSuspended)
		if err != nil || again != suspended {
			t.Fatalf("same status again: %+v %v, want unchanged %+v", again, err, suspended)
		}
		if _, err := e.cat.SetTenantStatus(ctx, "111122223333", "deleted"); !errors.Is(err, tenants.ErrInvalidInput) {
			t.Fatalf("unknown status: %v, want ErrInvalidInput", err)
		}
		if _, err := e.cat.SetTenantStatus(ctx, "999999999999", tenants.StatusActive); !errors.Is(err, tenants.ErrTenantNotFound) {
			t.Fatalf("missing tenant: %v, want ErrTenantNotFound", err)
		}
	})
}

// A newer Sluice will add fields (say, billing) to tenant records; an older
// node changing a status during a rolling upgrade must keep them.
func TestSetTenantStatusKeepsFieldsItDoesNotKnow(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		var rec map[string]any
		if err := json.Unmarshal(getRaw(t, e.store, "T/t/111122223333"), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["v"] != 1.0 {
			t.Fatalf("record version %v, want 1", rec["v"])
		}
		rec["v"], rec["billing"] = 2, map[string]any{"name": "pro", "queues": 1000}
		newer, _ := json.Marshal(rec)
		setRaw(t, e.store, "T/t/111122223333", newer)
		if _, err := e.cat.SetTenantStatus(ctx, "111122223333", tenants.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		var after map[string]any
		if err := json.Unmarshal(getRaw(t, e.store, "T/t/111122223333"), &after); err != nil {
			t.Fatal(err)
		}
		if after["status"] != "suspended" || after["v"] != 2.0 || fmt.Sprint(after["billing"]) != "map[name:pro queues:1000]" {
			t.Fatalf("record after the change: %v", after)
		}
	})
}

func TestPlansAndQuotas(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		created, err := e.cat.CreateTenant(ctx, tenants.CreateTenantInput{AccountID: "111122223333", Plan: tenants.PlanFree,
			Overrides: tenants.Quotas{SendPerSecond: 7}})
		if err != nil {
			t.Fatal(err)
		}
		q := created.Quotas()
		if q.SendPerSecond != 7 || q.ReceivePerSecond != 50 || q.MaxQueues != 10 {
			t.Fatalf("free plan with an override = %+v", q)
		}
		k, _ := mustCreateKey(t, e.cat, "111122223333")
		if got := mustResolve(t, e.cat, k.ID).Quotas; got != q {
			t.Fatalf("resolved quotas %+v, want %+v", got, q)
		}
		large := tenants.PlanLarge
		updated, err := e.cat.SetTenantPlan(ctx, "111122223333", &large, &tenants.Quotas{MaxQueues: 3})
		if err != nil {
			t.Fatal(err)
		}
		if q := updated.Quotas(); q.MaxQueues != 3 || q.SendPerSecond != 30000 {
			t.Fatalf("after SetTenantPlan = %+v", q)
		}
		// This node forgets at once; a change is never cached stale here.
		if got := mustResolve(t, e.cat, k.ID).Quotas; got.MaxQueues != 3 {
			t.Fatalf("resolved after change = %+v", got)
		}
		bad := tenants.Plan("platinum")
		for _, tc := range []struct {
			plan *tenants.Plan
			q    *tenants.Quotas
		}{{&bad, nil}, {nil, &tenants.Quotas{SendPerSecond: -1}}, {nil, &tenants.Quotas{MaxMessageBytes: 2 << 20}}} {
			if _, err := e.cat.SetTenantPlan(ctx, "111122223333", tc.plan, tc.q); !errors.Is(err, tenants.ErrInvalidInput) {
				t.Errorf("SetTenantPlan(%v, %v) = %v, want ErrInvalidInput", tc.plan, tc.q, err)
			}
		}
		if _, err := e.cat.SetTenantPlan(ctx, "999999999999", &large, nil); !errors.Is(err, tenants.ErrTenantNotFound) {
			t.Fatalf("missing tenant: %v", err)
		}
	})
}

func TestDeleteTenant(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		mustCreateTenant(t, e.cat, "444455556666")
		k1, _ := mustCreateKey(t, e.cat, "111122223333")
		k2, _ := mustCreateKey(t, e.cat, "111122223333")
		other, _ := mustCreateKey(t, e.cat, "444455556666")
		mustResolve(t, e.cat, k1.ID) // cached before the delete

		if err := e.cat.DeleteTenant(ctx, "111122223333"); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{k1.ID, k2.ID} {
			if _, err := e.cat.Resolve(ctx, id); !errors.Is(err, tenants.ErrAccessKeyNotFound) {
				t.Fatalf("key %s of the deleted tenant: %v", id, err)
			}
		}
		mustResolve(t, e.cat, other.ID)
		if _, err := e.cat.GetTenant(ctx, "111122223333"); !errors.Is(err, tenants.ErrTenantNotFound) {
			t.Fatalf("deleted tenant: %v", err)
		}
		if err := e.cat.DeleteTenant(ctx, "111122223333"); !errors.Is(err, tenants.ErrTenantNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		pending, err := e.cat.PendingDeletions(ctx)
		if err != nil || len(pending) != 1 || pending[0] != "111122223333" {
			t.Fatalf("pending = %v, %v", pending, err)
		}
		if _, err := e.cat.CreateTenant(ctx, tenants.CreateTenantInput{AccountID: "111122223333"}); !errors.Is(err, tenants.ErrTenantExists) {
			t.Fatalf("recreate while deleting: %v", err)
		}
		if err := e.cat.FinishDeletion(ctx, "111122223333"); err != nil {
			t.Fatal(err)
		}
		mustCreateTenant(t, e.cat, "111122223333")
	})
}
