package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/sdk/client"
)

// The session is the control-plane token itself, in an HttpOnly,
// SameSite=Strict cookie scoped to the console: nothing is kept on the
// server, so any control-plane node serves it, and the token's
// revocation, expiry and tenant checks apply to every page (each page
// calls the control plane with it). Signing out deletes the cookie; to end
// the token everywhere, revoke it (`sluice token revoke`).
const (
	sessionCookie = "sluice_console"
	// signInCookie carries the sign-in form's CSRF token (double submit:
	// before a session there is no token to derive one from).
	signInCookie = "sluice_console_signin"
	csrfField    = "csrf"
	// maxFormBytes bounds a form post: a 1 MiB message body, percent
	// encoded, and its attributes.
	maxFormBytes = 4 << 20
)

// session is a signed-in user.
type session struct {
	Token  string `json:"-"`
	Claims *jwtauth.Claims
	CSRF   string
	cp     *client.Client // the control plane, as this user
}

// Operator reports whether the user signed in with an operator token.
func (s *session) Operator() bool { return s.Claims.Role == jwtauth.RoleOperator }

// Who names the user in the audit log and the page header.
func (s *session) Who() string {
	if s.Operator() {
		return "operator"
	}
	return "tenant-admin " + s.Claims.Tenant
}

// csrfToken derives a session's CSRF token from its token: unguessable
// without the cookie, which another site can neither read nor send
// (SameSite=Strict), and the same on every node.
func csrfToken(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("sluice-console-csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// session reads the request's session; nil when there is none or its
// token no longer verifies.
func (c *Console) session(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	claims, err := c.opts.Key.Verify(ck.Value, c.opts.Clock())
	if err != nil {
		return nil
	}
	cp, err := c.controlClient(ck.Value)
	if err != nil {
		c.opts.Log.Error("console: control-plane client", "error", err)
		return nil
	}
	return &session{Token: ck.Value, Claims: claims, CSRF: csrfToken(ck.Value), cp: cp}
}

// secure reports whether the request came over TLS, so cookies get Secure.
func secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func (c *Console) setSession(w http.ResponseWriter, r *http.Request, token string, claims *jwtauth.Claims) {
	maxAge := 0
	if claims.ExpiresAt != nil {
		maxAge = max(int(claims.ExpiresAt.Sub(c.opts.Clock())/time.Second), 1)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: Path, MaxAge: maxAge,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteStrictMode})
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: Path, MaxAge: -1,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteStrictMode})
}

// sameOrigin refuses a post whose Origin (or, without one, Referer) names
// another host: a second guard behind the CSRF token.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = r.Header.Get("Referer")
	}
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// errCSRF refuses a post without the session's CSRF token.
var errCSRF = &pageError{Status: http.StatusForbidden, Code: "InvalidCSRFToken",
	Message: "The form's CSRF token is missing or wrong: reload the page and try again."}

// checkPost parses a post's form and checks its CSRF token against want.
func checkPost(w http.ResponseWriter, r *http.Request, want string) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return &pageError{Status: http.StatusBadRequest, Code: "InvalidInput", Message: "The form could not be read: " + err.Error()}
	}
	got := r.PostForm.Get(csrfField)
	if got == "" || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 || !sameOrigin(r) {
		return errCSRF
	}
	return nil
}

// page wraps a handler that needs a session: without one, a page
// redirects to the sign-in page and a fragment or post answers 401; a post
// must carry the CSRF token.
func (c *Console) page(h func(w http.ResponseWriter, r *http.Request, s *session) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.session(r)
		if s == nil {
			if r.Method == http.MethodGet && !isFragment(r) {
				http.Redirect(w, r, Path+"/signin", http.StatusSeeOther)
				return
			}
			c.fail(w, r, nil, &pageError{Status: http.StatusUnauthorized, Code: "Unauthorized", Message: "Sign in first."})
			return
		}
		if r.Method == http.MethodPost {
			if err := checkPost(w, r, s.CSRF); err != nil {
				c.audit.record(r, s, "csrf-refused", "", err)
				c.fail(w, r, s, err)
				return
			}
		}
		if err := h(w, r, s); err != nil {
			c.fail(w, r, s, err)
		}
	}
}

// isFragment reports whether the console's script asked for a fragment.
func isFragment(r *http.Request) bool {
	return r.Method == http.MethodGet && (r.Header.Get("X-Console-Fragment") == "1" ||
		strings.HasSuffix(r.URL.Path, "/rows") || strings.HasSuffix(r.URL.Path, "/moves"))
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	s := c.session(r)
	switch {
	case s == nil:
		http.Redirect(w, r, Path+"/signin", http.StatusSeeOther)
	case s.Operator():
		http.Redirect(w, r, Path+"/tenants", http.StatusSeeOther)
	default:
		http.Redirect(w, r, accountPath(s.Claims.Tenant)+"/queues", http.StatusSeeOther)
	}
}

type signInView struct {
	CSRF  string
	Error string
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if code := r.URL.Query().Get("code"); code != "" {
		token, ok := c.links.redeem(code)
		if !ok {
			c.renderSignIn(w, r, http.StatusUnauthorized, "This sign-in link was used already or has expired: paste a token instead.")
			return
		}
		claims, err := c.opts.Key.Verify(token, c.opts.Clock())
		if err != nil {
			c.renderSignIn(w, r, http.StatusUnauthorized, "This sign-in link's token is no longer valid.")
			return
		}
		c.setSession(w, r, token, claims)
		c.audit.record(r, &session{Claims: claims}, "signin", "link", nil)
		http.Redirect(w, r, Path+"/", http.StatusSeeOther)
		return
	}
	c.renderSignIn(w, r, http.StatusOK, "")
}

func (c *Console) renderSignIn(w http.ResponseWriter, r *http.Request, status int, msg string) {
	csrf := randomToken()
	http.SetCookie(w, &http.Cookie{Name: signInCookie, Value: csrf, Path: Path, HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteStrictMode})
	c.render(w, r, status, "signin", view{Title: "Sign in", Data: signInView{CSRF: csrf, Error: msg}})
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(signInCookie)
	want := ""
	if err == nil {
		want = ck.Value
	}
	if err := checkPost(w, r, want); err != nil {
		c.fail(w, r, nil, err)
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	claims, err := c.opts.Key.Verify(token, c.opts.Clock())
	if err == nil {
		// The control plane has the last word: revoked tokens, and
		// tenant-admin tokens of deleted tenants, are refused there.
		var cp *client.Client
		if cp, err = c.controlClient(token); err == nil {
			if claims.Role == jwtauth.RoleOperator {
				_, err = cp.ListTenantsPage(r.Context(), 1, "")
			} else {
				_, err = cp.GetTenant(r.Context(), claims.Tenant)
			}
		}
	}
	if err != nil {
		c.audit.record(r, nil, "signin", "token", err)
		c.renderSignIn(w, r, http.StatusUnauthorized, "The token is not valid: paste a control-plane token (operator or tenant-admin).")
		return
	}
	clearCookie(w, r, signInCookie)
	c.setSession(w, r, token, claims)
	c.audit.record(r, &session{Claims: claims}, "signin", "token", nil)
	http.Redirect(w, r, Path+"/", http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, s *session) error {
	clearCookie(w, r, sessionCookie)
	c.audit.record(r, s, "signout", "", nil)
	http.Redirect(w, r, Path+"/signin", http.StatusSeeOther)
	return nil
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// links are the one-time sign-in links `sluice dev` prints: a code that
// stands for a token until it is used once or expires.
type links struct {
	mu    sync.Mutex
	clock func() time.Time
	codes map[string]link
}

type link struct {
	token   string
	expires time.Time
}

const (
	linkTTL  = 24 * time.Hour
	maxLinks = 64 // bounds the map; the oldest is forgotten first
)

func newLinks(clock func() time.Time) *links {
	return &links{clock: clock, codes: map[string]link{}}
}

func (l *links) add(token string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	for code, k := range l.codes {
		if now.After(k.expires) {
			delete(l.codes, code)
		}
	}
	for len(l.codes) >= maxLinks {
		var oldest string
		for code, k := range l.codes {
			if oldest == "" || k.expires.Before(l.codes[oldest].expires) {
				oldest = code
			}
		}
		delete(l.codes, oldest)
	}
	code := randomToken()
	l.codes[code] = link{token: token, expires: now.Add(linkTTL)}
	return code
}

func (l *links) redeem(code string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k, ok := l.codes[code]
	delete(l.codes, code)
	if !ok || l.clock().After(k.expires) {
		return "", false
	}
	return k.token, true
}

// SignInLink returns the path of a one-time link that signs its first
// visitor in with token (valid for 24 hours).
func (c *Console) SignInLink(token string) (string, error) {
	if _, err := c.opts.Key.Verify(token, c.opts.Clock()); err != nil {
		return "", errors.New("console: the sign-in link's token does not verify")
	}
	return Path + "/signin?code=" + url.QueryEscape(c.links.add(token)), nil
}
