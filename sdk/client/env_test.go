package client_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/sdk/client"
)

// env is a fake environment for WithEnvironment.
func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestEnvironmentFillsEndpointAndToken(t *testing.T) {
	var gotAuth string
	srv := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		w.Write([]byte(`{"status":"ok","version":"dev"}`))
	})
	c, err := client.New("", client.WithEnvironment(env(map[string]string{
		client.EnvEndpoint: srv.URL + "/",
		client.EnvToken:    "env-token",
	})))
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint() != srv.URL {
		t.Errorf("Endpoint() = %q, want %q", c.Endpoint(), srv.URL)
	}
	if _, err := c.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	if gotAuth != "Bearer env-token" {
		t.Errorf("Authorization = %q, want the environment's token", gotAuth)
	}
}

func TestExplicitSettingsBeatEnvironment(t *testing.T) {
	var gotAuth string
	srv := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		w.Write([]byte(`{"status":"ok","version":"dev"}`))
	})
	c, err := client.New(srv.URL, client.WithToken("explicit"), client.WithEnvironment(env(map[string]string{
		client.EnvEndpoint: "http://elsewhere.invalid",
		client.EnvToken:    "env-token",
	})))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	if gotAuth != "Bearer explicit" {
		t.Errorf("Authorization = %q, want the explicit token", gotAuth)
	}
}

func TestMissingEndpointNamesTheVariable(t *testing.T) {
	_, err := client.New("", client.WithEnvironment(env(nil)))
	if err == nil || !strings.Contains(err.Error(), client.EnvEndpoint) {
		t.Fatalf("New = %v, want an error naming %s", err, client.EnvEndpoint)
	}
	if _, err := client.New("", client.WithEnvironment(nil)); err == nil {
		t.Fatal("a nil lookup was accepted")
	}
}

func TestNoEnvironmentWithoutTheOption(t *testing.T) {
	t.Setenv(client.EnvEndpoint, "http://localhost:1")
	if _, err := client.New(""); err == nil {
		t.Fatal("New read SLUICE_ENDPOINT without FromEnvironment")
	}
	c, err := client.New("", client.FromEnvironment())
	if err != nil || c.Endpoint() != "http://localhost:1" {
		t.Fatalf("FromEnvironment: %v, %v", c, err)
	}
}
