package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/sluice-mq/sluice/sdk/api"
	"github.com/sluice-mq/sluice/sdk/client"
)

// fakeControlPlane stands in for a Sluice server so the examples run: it
// knows one tenant, 123456789012, with one queue, and no other.
func fakeControlPlane() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/tenants":
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(api.Tenant{AccountID: "123456789012", Name: "acme", Status: api.TenantActive, Plan: api.DefaultPlan})
		case r.URL.Path == "/v1/tenants/123456789012/queues":
			next := r.URL.Query().Get("next")
			l := api.QueueList{Queues: []string{"invoices"}, Next: "2"}
			if next == "2" {
				l = api.QueueList{Queues: []string{"orders"}}
			}
			json.NewEncoder(w).Encode(l)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error":{"code":"TenantNotFound","message":"No tenant 999999999999."}}`)
		}
	}))
}

func Example() {
	srv := fakeControlPlane()
	defer srv.Close()
	ctx := context.Background()

	// In a program: client.New("", client.FromEnvironment()) reads
	// SLUICE_ENDPOINT and SLUICE_TOKEN.
	c, err := client.New(srv.URL, client.WithToken("operator-jwt"))
	if err != nil {
		log.Fatal(err)
	}
	t, err := c.CreateTenant(ctx, api.CreateTenantRequest{Name: "acme"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.AccountID, t.Status, t.Plan)
	// Output: 123456789012 active standard
}

func ExampleClient_ListQueues() {
	srv := fakeControlPlane()
	defer srv.Close()
	c, err := client.New(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	// Pages are read as the loop needs them; break stops reading.
	for name, err := range c.ListQueues(context.Background(), "123456789012", "", 100) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name)
	}
	// Output:
	// invoices
	// orders
}

func ExampleIsNotFound() {
	srv := fakeControlPlane()
	defer srv.Close()
	c, err := client.New(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.GetTenant(context.Background(), "999999999999")
	fmt.Println(client.IsNotFound(err), errors.Is(err, client.ErrNotFound))

	var e *client.Error
	if errors.As(err, &e) {
		fmt.Println(e.StatusCode, e.Code)
	}
	// Output:
	// true true
	// 404 TenantNotFound
}

func ExampleFromEnvironment() {
	// WithEnvironment takes the lookup FromEnvironment does with
	// os.LookupEnv, here a fixed one.
	lookup := func(k string) (string, bool) {
		v, ok := map[string]string{client.EnvEndpoint: "https://sluice.example.com/"}[k]
		return v, ok
	}
	c, err := client.New("", client.WithEnvironment(lookup))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Endpoint())
	// Output: https://sluice.example.com
}

func ExampleClient_GetUsage() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"accountId":"123456789012","granularity":"day","buckets":[{"quantities":[{"meter":"requests","quantity":42,"unit":"request units"}]}]}`)
	}))
	defer srv.Close()
	c, err := client.New(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	u, err := c.GetUsage(context.Background(), "123456789012", client.UsageQuery{GroupBy: []string{"queue"}})
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range u.Buckets {
		for _, q := range b.Quantities {
			fmt.Println(q.Meter, q.Quantity, q.Unit)
		}
	}
	// Output: requests 42 request units
}
