package httpserve

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// withDeadlines applies cfg's rules to every request h serves:
//
//	body of n bytes in by:      headers + ReadTimeout + n/MinRate
//	reply of m bytes out by:    body in + WriteTimeout + m/MinRate
//
// A client that keeps to MinRate is never cut off however large its body
// or reply, and one that trickles (a byte a second) or stalls (a
// Content-Length longer than what it sends) is cut off after about
// ReadTimeout. The deadlines are the connection's, set through
// http.ResponseController. Once the body is in there is no read deadline
// (net/http's read watching for a hang-up must not time out under a long
// poll), and the handler has WriteTimeout, however long the body took.
func withDeadlines(h http.Handler, cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := &exchange{rc: http.NewResponseController(w), cfg: cfg, start: time.Now()}
		if r.Body == nil || r.Body == http.NoBody {
			x.bodyDone = true
			x.replyFrom = x.start
			if x.setWriteDeadline(x.start.Add(cfg.WriteTimeout)) != nil {
				h.ServeHTTP(w, r) // no deadlines to set (not an HTTP/1 connection)
				return
			}
		} else {
			if x.setReadDeadline(x.start.Add(cfg.ReadTimeout)) != nil {
				h.ServeHTTP(w, r)
				return
			}
			x.body = body{x: x, r: r.Body}
			r.Body = &x.body
		}
		x.reply = replyWriter{x: x, w: w}
		h.ServeHTTP(&x.reply, r)
		// What the handler left unwritten (buffered output, or the
		// headers of a reply with none) goes out under the same rule.
		x.replying(0)
	})
}

// exchange is one request's progress, shared by its body and its reply.
type exchange struct {
	rc    *http.ResponseController
	cfg   Config
	start time.Time // the handler's start, just after the headers

	mu        sync.Mutex // a full-duplex handler reads and writes at once
	read      int64      // body bytes so far
	bodyDone  bool
	replyFrom time.Time // when the body was in, or the reply began
	written   int64     // reply bytes so far, counting the write underway

	// The handler's views of the exchange, kept here to save allocations.
	body  body
	reply replyWriter
}

func (x *exchange) setReadDeadline(t time.Time) error  { return x.rc.SetReadDeadline(t) }
func (x *exchange) setWriteDeadline(t time.Time) error { return x.rc.SetWriteDeadline(t) }

// bodyRead records n more body bytes and moves the read deadline on.
func (x *exchange) bodyRead(n int, eof bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.bodyDone {
		return
	}
	x.read += int64(n)
	if !eof {
		x.setReadDeadline(x.start.Add(x.cfg.ReadTimeout + atRate(x.read, x.cfg.MinRate)))
		return
	}
	x.bodyDone = true
	x.setReadDeadline(time.Time{})
	if x.replyFrom.IsZero() {
		x.replyFrom = time.Now()
		x.setWriteDeadline(x.replyFrom.Add(x.cfg.WriteTimeout))
	}
}

// replying moves the write deadline on before n more reply bytes go out.
func (x *exchange) replying(n int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.replyFrom.IsZero() {
		// The handler answers before the body is in (a refusal, say).
		x.replyFrom = time.Now()
	}
	x.written += int64(n)
	x.setWriteDeadline(x.replyFrom.Add(x.cfg.WriteTimeout + atRate(x.written, x.cfg.MinRate)))
}

// atRate is how long n bytes take at rate bytes per second.
func atRate(n, rate int64) time.Duration {
	return time.Duration(float64(n) / float64(rate) * float64(time.Second))
}

// body is a request body that reports its progress to the exchange.
type body struct {
	x *exchange
	r io.ReadCloser
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.x.bodyRead(n, err == io.EOF)
	return n, err
}

func (b *body) Close() error { return b.r.Close() }

// replyWriter is the handler's ResponseWriter: every write first moves
// the write deadline on by what it carries.
type replyWriter struct {
	x *exchange
	w http.ResponseWriter
}

func (rw *replyWriter) Header() http.Header { return rw.w.Header() }

func (rw *replyWriter) WriteHeader(code int) {
	rw.x.replying(0)
	rw.w.WriteHeader(code)
}

func (rw *replyWriter) Write(p []byte) (int, error) {
	rw.x.replying(len(p))
	return rw.w.Write(p)
}

// FlushError lets http.ResponseController flush under the rule too.
func (rw *replyWriter) FlushError() error {
	rw.x.replying(0)
	return rw.x.rc.Flush()
}

// Flush is for handlers that look for http.Flusher.
func (rw *replyWriter) Flush() { _ = rw.FlushError() }

// Unwrap gives http.ResponseController the server's writer, for what
// replyWriter does not do itself (hijacking, say).
func (rw *replyWriter) Unwrap() http.ResponseWriter { return rw.w }
