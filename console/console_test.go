package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
)

// setupQueues makes queue "orders" in account A, with dead-letter queue
// "orders-dlq".
func setupQueues(t *testing.T, op *user) {
	t.Helper()
	base := "/console/a/" + accountA + "/queues"
	op.mustPost(base, url.Values{"name": {"orders-dlq"}, "type": {"standard"}})
	op.mustPost(base, url.Values{"name": {"orders"}, "type": {"standard"}, "VisibilityTimeout": {"45"}})
	op.mustPost(base+"/orders/redrive-policy", url.Values{"target": {"orders-dlq"}, "maxReceiveCount": {"1"}})
}

func TestEveryPageRendersForBothRoles(t *testing.T) {
	f := newFixture(t)
	setupQueues(t, f.as(t, jwtauth.RoleOperator, ""))
	a := "/console/a/" + accountA
	pages := map[string]string{ // path: a marker of its content
		a + "/queues":                  `<tbody id="queue-rows"`,
		a + "/queues/rows":             `data-queue="orders"`,
		a + "/queues/new":              `name="VisibilityTimeout"`,
		a + "/queues/orders":           `orders-dlq</a> after 1 receives`,
		a + "/queues/orders-dlq":       `Dead-letter queue of</td>`,
		a + "/queues/orders-dlq/moves": `No move tasks from this queue.`,
		a + "/usage":                   `<svg class="chart"`,
		a + "/keys":                    `Create access key`,
	}
	for _, role := range []jwtauth.Role{jwtauth.RoleOperator, jwtauth.RoleTenantAdmin} {
		tenant := ""
		if role == jwtauth.RoleTenantAdmin {
			tenant = accountA
		}
		u := f.as(t, role, tenant)
		for path, marker := range pages {
			body, resp := u.get(path)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, marker) {
				t.Errorf("%s GET %s: %d, want 200 with %q:\n%.2000s", role, path, resp.StatusCode, marker, body)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
				t.Errorf("%s GET %s: CSP %q", role, path, csp)
			}
			if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, "onclick") {
				t.Errorf("%s GET %s: inline script or style, which the CSP forbids", role, path)
			}
		}
		body, resp := u.get("/console/tenants")
		want := http.StatusOK
		if role == jwtauth.RoleTenantAdmin {
			want = http.StatusForbidden
		}
		if resp.StatusCode != want {
			t.Errorf("%s GET /console/tenants: %d, want %d:\n%.1000s", role, resp.StatusCode, want, body)
		}
		if role == jwtauth.RoleOperator && !strings.Contains(body, `data-account="`+accountB+`"`) {
			t.Errorf("the operator's tenant list lacks %s", accountB)
		}
	}
}

func TestTenantAdminReachesOnlyItsAccount(t *testing.T) {
	f := newFixture(t)
	op := f.as(t, jwtauth.RoleOperator, "")
	op.mustPost("/console/a/"+accountB+"/queues", url.Values{"name": {"secret-b"}, "type": {"standard"}})
	u := f.as(t, jwtauth.RoleTenantAdmin, accountA)

	_, resp := u.get("/console/")
	if loc := resp.Header.Get("Location"); loc != "/console/a/"+accountA+"/queues" {
		t.Errorf("a tenant-admin's home: %q", loc)
	}
	b := "/console/a/" + accountB
	for _, path := range []string{b + "/queues", b + "/queues/rows", b + "/queues/new", b + "/queues/secret-b", b + "/queues/secret-b/moves", b + "/usage", b + "/keys", "/console/tenants"} {
		body, resp := u.get(path)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", path, resp.StatusCode)
		}
		if strings.Contains(body, "secret-b") && !strings.Contains(path, "secret-b") {
			t.Errorf("GET %s shows account B's queue", path)
		}
	}
	posts := map[string]url.Values{
		b + "/queues":                               {"name": {"intruder"}, "type": {"standard"}},
		b + "/queues/secret-b/send":                 {"body": {"x"}},
		b + "/queues/secret-b/poll":                 {"max": {"1"}},
		b + "/queues/secret-b/purge":                {"confirm": {"purge"}},
		b + "/queues/secret-b/delete":               {"confirm": {"secret-b"}},
		b + "/queues/secret-b/tags":                 {"tags": {"a=b"}},
		b + "/queues/secret-b/attributes":           {"VisibilityTimeout": {"5"}},
		b + "/queues/secret-b/moves":                {},
		b + "/keys":                                 {},
		"/console/tenants":                          {"name": {"x"}},
		"/console/tenants/" + accountB + "/suspend": {},
		"/console/tenants/" + accountB + "/delete":  {"confirm": {accountB}},
	}
	for path, form := range posts {
		if body, resp := u.post(path, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s: %d, want 403:\n%.1000s", path, resp.StatusCode, body)
		}
	}
	// Nothing changed in account B.
	body, _ := op.get(b + "/queues/rows")
	if !strings.Contains(body, `data-queue="secret-b"`) || strings.Contains(body, "intruder") {
		t.Errorf("account B's queues changed:\n%s", body)
	}
	body, _ = op.get("/console/tenants")
	if !strings.Contains(body, `data-account="`+accountB+`"`) || strings.Contains(body, "suspended") {
		t.Errorf("tenant B changed:\n%.2000s", body)
	}
}

func TestPostsWithoutCSRFTokenAreRefused(t *testing.T) {
	f := newFixture(t)
	op := f.as(t, jwtauth.RoleOperator, "")
	setupQueues(t, op)
	a := "/console/a/" + accountA
	posts := map[string]url.Values{
		a + "/queues":               {"name": {"csrf-victim"}, "type": {"standard"}},
		a + "/queues/orders/send":   {"body": {"x"}},
		a + "/queues/orders/delete": {"confirm": {"orders"}},
		a + "/queues/orders/purge":  {"confirm": {"purge"}},
		a + "/keys":                 {},
		"/console/tenants":          {"name": {"x"}},
		"/console/signout":          {},
	}
	for path, form := range posts {
		for _, csrf := range []string{"", "forged"} {
			form := url.Values(form)
			form.Set("csrf", csrf)
			if body, resp := op.post(path, form); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "InvalidCSRFToken") {
				t.Errorf("POST %s with csrf %q: %d, want 403 InvalidCSRFToken", path, csrf, resp.StatusCode)
			}
		}
	}
	// The right token from another origin is refused too.
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+a+"/queues", strings.NewReader(url.Values{"csrf": {op.csrf}, "name": {"csrf-victim"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if _, resp := op.do(req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin post: %d, want 403", resp.StatusCode)
	}
	body, _ := op.get(a + "/queues/rows")
	if strings.Contains(body, "csrf-victim") || !strings.Contains(body, `data-queue="orders"`) {
		t.Errorf("a refused post changed the queues:\n%s", body)
	}
}

func TestPolledMessageBodyIsEscaped(t *testing.T) {
	f := newFixture(t)
	u := f.as(t, jwtauth.RoleTenantAdmin, accountA)
	setupQueues(t, u)
	q := "/console/a/" + accountA + "/queues/orders"
	const evil = `<script>alert("pwned")</script><img src=x onerror=alert(1)>`
	u.mustPost(q+"/send", url.Values{"body": {evil}, "attr-name-0": {"note"}, "attr-type-0": {"String"}, "attr-value-0": {"<b>bold</b>"}})
	body, resp := u.post(q+"/poll", url.Values{"max": {"10"}, "visibility": {"30"}, "wait": {"1"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("poll: %d:\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") || strings.Contains(body, "<b>bold</b>") {
		t.Fatalf("the body or an attribute reached the page unescaped:\n%s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;") || !strings.Contains(body, "&lt;b&gt;bold&lt;/b&gt;") {
		t.Fatalf("the escaped body or attribute is missing:\n%s", body)
	}
	if !strings.Contains(body, "<td>ApproximateReceiveCount</td><td>1</td>") {
		t.Errorf("the poll shows no receive count of 1")
	}
}

func TestSignInSignOut(t *testing.T) {
	f := newFixture(t)
	anon := &user{t: t, f: f}
	// Without a session a page sends to the sign-in form.
	if _, resp := anon.get("/console/a/" + accountA + "/queues"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/signin" {
		t.Fatalf("anonymous page: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The sign-in form: its CSRF token is a cookie's double.
	body, resp := anon.get("/console/signin")
	m := csrfRE.FindStringSubmatch(body)
	var pre *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "sluice_console_signin" {
			pre = c
		}
	}
	if m == nil || pre == nil || pre.Value != m[1] {
		t.Fatalf("sign-in form without its CSRF pair")
	}
	signIn := func(token, csrf string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/console/signin", strings.NewReader(url.Values{"csrf": {csrf}, "token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(pre)
		_, resp := anon.do(req)
		return resp
	}
	if resp := signIn("not-a-token", m[1]); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad token: %d, want 401", resp.StatusCode)
	}
	tok := f.token(t, jwtauth.RoleTenantAdmin, accountA)
	if resp := signIn(tok, "forged"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without its CSRF token: %d, want 403", resp.StatusCode)
	}
	resp = signIn(tok, m[1])
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "sluice_console" {
			session = c
		}
	}
	if session == nil || session.Value != tok || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console" || session.Secure {
		t.Fatalf("session cookie %+v: want the token, HttpOnly, SameSite=Strict, Path=/console, not Secure over plain HTTP", session)
	}

	// A one-time link signs in once.
	link, err := f.console.SignInLink(f.token(t, jwtauth.RoleOperator, ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, resp := anon.get(link); resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 || resp.Cookies()[0].Value == "" {
		t.Fatalf("one-time link: %d %v", resp.StatusCode, resp.Cookies())
	}
	if _, resp := anon.get(link); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the link's second use: %d, want 401", resp.StatusCode)
	}
	// Behind a TLS proxy the cookie is Secure.
	link, err = f.console.SignInLink(f.token(t, jwtauth.RoleOperator, ""))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+link, nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	if _, resp := anon.do(req); len(resp.Cookies()) == 0 || !resp.Cookies()[0].Secure {
		t.Errorf("cookie over TLS: %v, want Secure", resp.Cookies())
	}

	// Sign-out deletes the cookie.
	u := f.as(t, jwtauth.RoleTenantAdmin, accountA)
	_, resp = u.post("/console/signout", nil)
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 || resp.Cookies()[0].MaxAge >= 0 {
		t.Errorf("sign-out: %d %v", resp.StatusCode, resp.Cookies())
	}
	// An expired token is no session.
	old, err := f.key.Mint(jwtauth.RoleOperator, "", time.Second, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	stale := &user{t: t, f: f, token: old}
	if _, resp := stale.get("/console/tenants"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("expired token: %d, want a redirect to sign in", resp.StatusCode)
	}
}
