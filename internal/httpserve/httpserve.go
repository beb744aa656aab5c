// Package httpserve builds the HTTP/1.1 server every Sluice role runs, made
// to outlast slow, stalled and idle clients without cutting off slow but
// honest ones: request bodies and replies must keep to a minimum transfer
// rate after a head start (the rule of Apache's mod_reqtimeout), handlers
// get a fixed time once the body is in (long enough for a 20 s long poll),
// idle keep-alive connections are closed, and one client address may hold
// only so many connections ([LimitListener]).
package httpserve

import (
	"log"
	"net/http"
	"time"
)

// Config is how long clients may take. Zero fields take [Defaults]' values.
type Config struct {
	// ReadTimeout bounds the request line and headers (from the
	// connection's start, or a keep-alive request's first byte). It is
	// also the body's head start: a body of n bytes must be in
	// ReadTimeout + n/MinRate after the headers.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request once its body is in: the handler's
	// work, a long poll's wait included, and the reply's head start: a
	// reply of n bytes must be written WriteTimeout + n/MinRate after the
	// body arrived.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that has waited this
	// long for its next request.
	IdleTimeout time.Duration
	// MinRate is the slowest, in bytes per second, a body may arrive or a
	// reply be taken once the head start is spent.
	MinRate int64
	// MaxConnsPerAddr caps the connections one client address may hold
	// open (see [LimitListener]); 0 means no cap.
	MaxConnsPerAddr int
}

// Defaults returns the settings Sluice ships with.
//
//   - ReadTimeout 10 s: headers are a few hundred bytes, so 10 s is a
//     slow link's worth; a slow-loris body is cut after about 10 s.
//   - WriteTimeout 30 s: SQS long polls wait up to 20 s, leaving 10 s for
//     the engine's work (reading cold bodies from the blob store) and the
//     reply's first bytes.
//   - IdleTimeout 75 s: longer than the 60 s idle timeout of common load
//     balancers, so a balancer is never the one to reuse a connection this
//     side has just closed (a 502), and shorter than the 90 s clients keep
//     idle connections for.
//   - MinRate 16 KiB/s: a 4 MiB body (sqsapi's limit) may take 4m16s plus
//     the head start, a 1 MiB message about 74 s.
//   - MaxConnsPerAddr 1024: ten times what an AWS SDK pools per host
//     (up to ~100), and room for a proxy that relays up to 1024
//     concurrent long polls from one address; at ~20 KiB per connection
//     one address can hold about 20 MiB of server memory.
func Defaults() Config {
	return Config{
		ReadTimeout:     10 * time.Second,
		WriteTimeout:    30 * time.Second,
		IdleTimeout:     75 * time.Second,
		MinRate:         16 << 10,
		MaxConnsPerAddr: 1024,
	}
}

// withDefaults fills zero fields from Defaults. MaxConnsPerAddr stays as
// is: zero is a setting there.
func (c Config) withDefaults() Config {
	d := Defaults()
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = d.ReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.MinRate <= 0 {
		c.MinRate = d.MinRate
	}
	return c
}

// NewServer returns a server for h with cfg's deadlines. Serve it on a
// [LimitListener] to cap connections per address too.
func NewServer(h http.Handler, cfg Config, errorLog *log.Logger) *http.Server {
	cfg = cfg.withDefaults()
	return &http.Server{
		Handler:           withDeadlines(h, cfg),
		ReadHeaderTimeout: cfg.ReadTimeout,
		// No ReadTimeout: it is one deadline for headers and body, so
		// it would have to fit a 4 MiB body on a slow link, and a client
		// trickling a byte a second could hold the connection that long.
		// withDeadlines gives a body time by its size instead.
		//
		// WriteTimeout, counted from the headers, would cut off the reply
		// to a body that took long to arrive; withDeadlines replaces it
		// for every request that reaches the handler. It still bounds the
		// errors the server writes by itself.
		WriteTimeout: cfg.WriteTimeout,
		IdleTimeout:  cfg.IdleTimeout,
		ErrorLog:     errorLog,
	}
}
