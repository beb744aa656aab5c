package console_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/billing/invoices"
	"github.com/sluice-mq/sluice/billing/plans"
	"github.com/sluice-mq/sluice/billing/usage"
	"github.com/sluice-mq/sluice/console"
	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/control-plane/restapi"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
	"github.com/sluice-mq/sluice/tenants/seal"
)

const (
	accountA  = "111111111111"
	accountB  = "222222222222"
	region    = "us-east-1"
	jwtSecret = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
)

// refuseAll is the SQS handler's authenticator: a signed request never
// gets in, so whatever the console does, it does through Handler.As.
type refuseAll struct{}

func (refuseAll) Authenticate(context.Context, *http.Request, []byte) (sqsapi.Principal, error) {
	return sqsapi.Principal{}, sqsapi.NewError("InvalidClientTokenId", "refused")
}

// fixture is a node as `sluice dev` wires it: the control plane, the
// engine and the SQS handler, and the console on the same router.
type fixture struct {
	srv     *httptest.Server
	key     *jwtauth.Key
	console *console.Console
	engine  *engine.Engine
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, nil)
}

// newFixtureWith is newFixture with the console's options changed by
// configure.
func newFixtureWith(t *testing.T, configure func(*console.Options)) *fixture {
	t.Helper()
	store := kvtest.OpenLocal(t)
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwtauth.ParseKey(jwtSecret)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(store, engine.Options{ReceiptKey: []byte("0123456789abcdef0123456789abcdef"), PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	eng.Start(context.Background())
	t.Cleanup(func() { _ = eng.Close() })
	catalog := tenants.New(store, sealer, tenants.Options{})
	for _, acct := range []string{accountA, accountB} {
		if _, err := catalog.CreateTenant(context.Background(), tenants.CreateTenantInput{AccountID: acct, Name: "tenant " + acct}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := sqsapi.New(sqsapi.Options{Engine: eng, Catalog: eng.Catalog(), Auth: refuseAll{}})
	if err != nil {
		t.Fatal(err)
	}
	opts := console.Options{Key: key, Region: region, SQS: h, Gauges: eng}
	if configure != nil {
		configure(&opts)
	}
	c, err := console.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	biller := invoices.New(store, plans.NewStore(store, nil), usage.NewSource(store), catalog, invoices.Options{})
	restapi.New(catalog, eng.Catalog(), eng.Stats(), region, key, nil, nil).WithUsage(store).WithBilling(biller).Register(e)
	c.Register(e)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, key: key, console: c, engine: eng}
}

func (f *fixture) token(t *testing.T, role jwtauth.Role, tenant string) string {
	t.Helper()
	tok, err := f.key.Mint(role, tenant, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// user is a browser: a cookie jar, and no redirects followed unless asked.
type user struct {
	t     *testing.T
	f     *fixture
	token string
	csrf  string
}

// as is a user signed in with a token of role (for tenant).
func (f *fixture) as(t *testing.T, role jwtauth.Role, tenant string) *user {
	u := &user{t: t, f: f, token: f.token(t, role, tenant)}
	body, _ := u.get("/console/tenants") // any page shows the CSRF token
	if m := csrfRE.FindStringSubmatch(body); m != nil {
		u.csrf = m[1]
	} else {
		body, _ = u.get("/console/a/" + tenant + "/queues")
		if m := csrfRE.FindStringSubmatch(body); m != nil {
			u.csrf = m[1]
		}
	}
	if u.csrf == "" {
		t.Fatal("no CSRF token on the console's pages")
	}
	return u
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (u *user) do(req *http.Request) (string, *http.Response) {
	u.t.Helper()
	if u.token != "" {
		req.AddCookie(&http.Cookie{Name: "sluice_console", Value: u.token})
	}
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		u.t.Fatal(err)
	}
	return string(b), resp
}

func (u *user) get(path string) (string, *http.Response) {
	u.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u.f.srv.URL+path, nil)
	if err != nil {
		u.t.Fatal(err)
	}
	return u.do(req)
}

// post sends a form with the user's CSRF token (unless form sets csrf).
func (u *user) post(path string, form url.Values) (string, *http.Response) {
	u.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, set := form["csrf"]; !set {
		form.Set("csrf", u.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, u.f.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		u.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.do(req)
}

// mustPost posts and wants the redirect of a successful action.
func (u *user) mustPost(path string, form url.Values) {
	u.t.Helper()
	body, resp := u.post(path, form)
	if resp.StatusCode != http.StatusSeeOther {
		u.t.Fatalf("POST %s: %d, want 303:\n%s", path, resp.StatusCode, body)
	}
}
