// Package console is the web console at /console: server-rendered pages
// (html/template, embedded with the script and style sheet they use) for
// queues, messages, dead-letter redrive, usage and billing, tenants and
// access keys.
//
// The console has no back door. A user signs in with a control-plane
// token (operator or tenant-admin), which the session cookie carries, and
// every page calls the control plane's REST routes in process with that
// token (sdk/client over an in-process transport): authorization (a
// tenant-admin reaches only its account, 403 elsewhere), validation,
// admission and metering, and the error codes are the API's. Message
// actions (send, poll, delete, purge, move tasks) go through the SQS
// handler (data-plane/sqsapi) as the tenant the control plane just
// authorized, so they too are decoded, checked, admitted and metered as a
// signed SQS call is. Every action is audit-logged.
package console

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqsapi"
)

// Path is where the console is served.
const Path = "/console"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Gauges reads a queue's gauges (engine.Engine does): the console shows
// the age of the oldest message from them, and the queue's undecided half
// (transactional) messages.
type Gauges interface {
	QueueGauges(ctx context.Context, ref queues.Ref) (engine.QueueGauges, error)
	HalfMessages(ctx context.Context, ref queues.Ref, n int) (engine.HalfMessages, error)
}

// Options configures a Console.
type Options struct {
	// Key verifies the tokens users sign in with (the control plane's).
	Key *jwtauth.Key
	// Region is the region the node's queues live in.
	Region string
	// SQS serves the message actions; nil on a node without the data
	// plane, where the message, purge and redrive panels say so.
	SQS *sqsapi.Handler
	// Gauges, when set, gives the queue list the age of each queue's
	// oldest message and its undecided half messages, and the queue page
	// the oldest of those.
	Gauges Gauges
	// Log receives the audit records and errors.
	Log   *slog.Logger
	Clock func() time.Time
}

// Console serves the web console.
type Console struct {
	opts    Options
	control http.Handler // the node's router: the control plane's /v1 routes
	pages   map[string]*template.Template
	mux     *http.ServeMux
	links   *links
	audit   auditor
	sqs     *sqsBackend // nil without the data plane
}

// New returns a console; Register mounts it.
func New(opts Options) (*Console, error) {
	if opts.Key == nil || opts.Region == "" {
		return nil, errors.New("console: Key and Region are required")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{opts: opts, pages: pages, links: newLinks(opts.Clock), audit: auditor{log: opts.Log}}
	if opts.SQS != nil {
		c.sqs = newSQSBackend(opts.SQS, opts.Region)
	}
	c.mux = c.routes()
	return c, nil
}

// Register mounts the console on e under Path. The console calls the
// control plane's routes on e in process, so e must serve them.
func (c *Console) Register(e *echo.Echo) {
	c.control = e
	h := echo.WrapHandler(c)
	e.Any(Path, h)
	e.Any(Path+"/*", h)
}

// ServeHTTP serves a console request with the console's security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

func (c *Console) routes() *http.ServeMux {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET "+Path+"/static/", http.StripPrefix(Path+"/static/", http.FileServerFS(static)))
	m.HandleFunc("GET "+Path, c.home)
	m.HandleFunc("GET "+Path+"/{$}", c.home)
	m.HandleFunc("GET "+Path+"/signin", c.signInPage)
	m.HandleFunc("POST "+Path+"/signin", c.signIn)
	m.HandleFunc("POST "+Path+"/signout", c.page(c.signOut))

	a := Path + "/a/{account}"
	m.HandleFunc("GET "+a+"/queues", c.page(c.queueList))
	m.HandleFunc("GET "+a+"/queues/rows", c.page(c.queueRows))
	m.HandleFunc("GET "+a+"/queues/new", c.page(c.newQueuePage))
	m.HandleFunc("POST "+a+"/queues", c.page(c.createQueue))
	q := a + "/queues/{queue}"
	m.HandleFunc("GET "+q, c.page(c.queuePage))
	m.HandleFunc("POST "+q+"/attributes", c.page(c.setAttributes))
	m.HandleFunc("POST "+q+"/redrive-policy", c.page(c.setRedrivePolicy))
	m.HandleFunc("POST "+q+"/redrive-allow-policy", c.page(c.setRedriveAllowPolicy))
	m.HandleFunc("POST "+q+"/tags", c.page(c.setTags))
	m.HandleFunc("POST "+q+"/policy", c.page(c.setPolicy))
	m.HandleFunc("POST "+q+"/purge", c.page(c.purgeQueue))
	m.HandleFunc("POST "+q+"/delete", c.page(c.deleteQueue))
	m.HandleFunc("POST "+q+"/send", c.page(c.sendMessage))
	m.HandleFunc("POST "+q+"/poll", c.page(c.pollMessages))
	m.HandleFunc("POST "+q+"/messages/delete", c.page(c.deleteMessage))
	m.HandleFunc("GET "+q+"/moves", c.page(c.moveTasksFragment))
	m.HandleFunc("POST "+q+"/moves", c.page(c.startMoveTask))
	m.HandleFunc("POST "+q+"/moves/cancel", c.page(c.cancelMoveTask))

	m.HandleFunc("GET "+a+"/usage", c.page(c.usagePage))
	m.HandleFunc("GET "+a+"/invoices/{invoice}/csv", c.page(c.invoiceCSV))
	m.HandleFunc("GET "+a+"/keys", c.page(c.keysPage))
	m.HandleFunc("POST "+a+"/keys", c.page(c.createKey))
	m.HandleFunc("POST "+a+"/keys/{key}/status", c.page(c.setKeyStatus))
	m.HandleFunc("POST "+a+"/keys/{key}/delete", c.page(c.deleteKey))

	m.HandleFunc("GET "+Path+"/tenants", c.page(c.tenantsPage))
	m.HandleFunc("POST "+Path+"/tenants", c.page(c.createTenant))
	m.HandleFunc("POST "+Path+"/tenants/{account}/plan", c.page(c.setTenantPlan))
	m.HandleFunc("POST "+Path+"/tenants/{account}/suspend", c.page(c.suspendTenant))
	m.HandleFunc("POST "+Path+"/tenants/{account}/resume", c.page(c.resumeTenant))
	m.HandleFunc("POST "+Path+"/tenants/{account}/delete", c.page(c.deleteTenant))
	return m
}
