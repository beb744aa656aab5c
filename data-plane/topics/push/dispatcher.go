// Package push delivers topics' messages to http/https subscriptions.
//
// Each push subscription's backlog is an internal queue that Publish
// writes in its transaction (topics.PushQueue). Every data-plane node
// runs a Dispatcher: it keeps one worker per registered push
// subscription, which long-polls the subscription's queue, POSTs each
// message to the endpoint (signed, see SignatureHeader) and deletes it on
// a 2xx. A failed delivery stays in the queue, hidden for the retry
// policy's delay (ChangeMessageVisibility), and when the policy gives up
// it goes to the subscription's dead-letter queue or is dropped. The
// queue's claim makes one node at a time deliver a message; a node that
// dies mid-delivery lets the message reappear after the visibility
// timeout, so delivery is at least once.
package push

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/topics"
)

// Options configures a Dispatcher. Zero values take the defaults.
type Options struct {
	Engine *engine.Engine
	Topics *topics.Catalog
	// Gate meters each delivery (admission.Gate.Deliver); nil meters none.
	Gate   *admission.Gate
	Logger *slog.Logger
	// AllowLoopback lets endpoints resolve to loopback addresses
	// (sluice dev; never in production, see Guard).
	AllowLoopback bool
	// Concurrency bounds one subscription's requests in flight (4).
	Concurrency int
	// Timeout bounds one request, connection to last byte read (15 s, as
	// CMQ); ConnectTimeout bounds the connection (5 s).
	Timeout, ConnectTimeout time.Duration
	// Scan is how often the registry of push subscriptions is read (1 s).
	Scan time.Duration
	// MaxResponseBytes is how much of a reply is read (64 KiB).
	MaxResponseBytes int64
}

// Dispatcher runs a node's push workers.
type Dispatcher struct {
	opts   Options
	eng    *engine.Engine
	topics *topics.Catalog
	log    *slog.Logger
	client *http.Client
	clock  func() time.Time
}

// New returns a Dispatcher; Run runs it.
func New(opts Options) *Dispatcher {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 15 * time.Second
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 5 * time.Second
	}
	if opts.Scan <= 0 {
		opts.Scan = time.Second
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = 64 << 10
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{opts: opts, eng: opts.Engine, topics: opts.Topics, log: opts.Logger, clock: opts.Topics.Clock}
	guard := Guard{AllowLoopback: opts.AllowLoopback}
	dialer := &net.Dialer{Timeout: opts.ConnectTimeout, Control: guard.control}
	d.client = &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would dial for us, past the guard
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   opts.ConnectTimeout,
			ResponseHeaderTimeout: opts.Timeout,
			MaxIdleConnsPerHost:   opts.Concurrency,
			IdleConnTimeout:       90 * time.Second,
		},
		// A redirect is a failed delivery, as SNS: following it could
		// reach an address the endpoint was not allowed to name.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       opts.Timeout,
	}
	return d
}

// Run keeps one worker per registered push subscription until ctx ends,
// then waits for the workers to stop.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	workers := map[topics.SubRef]context.CancelFunc{}
	done := make(chan topics.SubRef, 64)
	t := time.NewTicker(d.opts.Scan)
	defer t.Stop()
	for {
		entries, err := d.topics.PushSubscriptions(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("push: list subscriptions", "error", err)
		}
		for _, e := range entries {
			if _, ok := workers[e.Ref]; ok {
				continue
			}
			wctx, cancel := context.WithCancel(ctx)
			workers[e.Ref] = cancel
			wg.Add(1)
			go func() {
				defer wg.Done()
				d.work(wctx, e)
				select {
				case done <- e.Ref:
				case <-ctx.Done():
				}
			}()
		}
	drain:
		for {
			select {
			case ref := <-done:
				workers[ref]()
				delete(workers, ref)
			default:
				break drain
			}
		}
		select {
		case <-ctx.Done():
			for _, cancel := range workers {
				cancel()
			}
			return
		case <-t.C:
		}
	}
}
