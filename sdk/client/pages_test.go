package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/sdk/client"
)

// tenantPages serves 7 tenants, pages of 3, by the after parameter; a
// request with after=fail answers 500.
func tenantPages(t *testing.T, requests *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != api.PathTenants || r.URL.Query().Get("limit") != "3" {
			t.Errorf("got %s", r.URL)
		}
		after := r.URL.Query().Get("after")
		start := map[string]int{"": 0, "000000000003": 3, "000000000006": 6}[after]
		var l api.TenantList
		for i := start; i < min(start+3, 7); i++ {
			l.Tenants = append(l.Tenants, api.Tenant{AccountID: fmt.Sprintf("%012d", i+1)})
		}
		if start+3 < 7 {
			l.Next = fmt.Sprintf("%012d", start+3)
		}
		if start == 6 && r.Header.Get("X-Fail") != "" {
			w.WriteHeader(500)
			return
		}
		json.NewEncoder(w).Encode(l)
	}
}

func TestListTenantsWalksEveryPage(t *testing.T) {
	var n atomic.Int32
	c := newServer(t, tenantPages(t, &n))
	var got []string
	for tn, err := range c.ListTenants(context.Background(), 3) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tn.AccountID)
	}
	if len(got) != 7 || got[0] != "000000000001" || got[6] != "000000000007" || n.Load() != 3 {
		t.Fatalf("got %v in %d requests, want 7 tenants in 3", got, n.Load())
	}
}

func TestListTenantsStopsOnBreak(t *testing.T) {
	var n atomic.Int32
	c := newServer(t, tenantPages(t, &n))
	seen := 0
	for _, err := range c.ListTenants(context.Background(), 3) {
		if err != nil {
			t.Fatal(err)
		}
		if seen++; seen == 4 {
			break
		}
	}
	if n.Load() != 2 {
		t.Errorf("%d pages read for 4 tenants, want 2", n.Load())
	}
}

func TestListTenantsYieldsAPageError(t *testing.T) {
	var n atomic.Int32
	h := tenantPages(t, &n)
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-Fail", "1")
		h(w, r)
	})
	var got, errs int
	for _, err := range c.ListTenants(context.Background(), 3) {
		if err != nil {
			errs++
			var e *client.Error
			if !asError(err, &e) || e.StatusCode != 500 {
				t.Errorf("error %v", err)
			}
			continue
		}
		got++
	}
	if got != 6 || errs != 1 {
		t.Errorf("%d tenants and %d errors, want 6 and 1", got, errs)
	}
}

func TestListQueuesStopsOnARepeatedToken(t *testing.T) {
	var n atomic.Int32
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) > 3 {
			t.Fatal("still reading pages")
		}
		if q := r.URL.Query(); q.Get("prefix") != "ord" || r.URL.Path != "/v1/tenants/123456789012/queues" {
			t.Errorf("got %s", r.URL)
		}
		json.NewEncoder(w).Encode(api.QueueList{Queues: []string{"orders"}, Next: "same"})
	})
	var names, errs int
	for _, err := range c.ListQueues(context.Background(), "123456789012", "ord", 0) {
		if err != nil {
			errs++
		} else {
			names++
		}
	}
	if names != 2 || errs != 1 {
		t.Errorf("%d names and %d errors, want 2 and 1", names, errs)
	}
}
