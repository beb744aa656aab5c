package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// view is what every page template gets.
type view struct {
	S       *session
	Account string // the account the page is about; "" for none
	Title   string
	Flash   string
	Data    any
}

// flashes are the fixed texts a redirect after a post may show (?ok=),
// so a link cannot put words on the page.
var flashes = map[string]string{
	"created":      "Queue created.",
	"updated":      "Saved.",
	"purged":       "Purge started: the queue's messages are being deleted.",
	"deleted":      "Queue deleted.",
	"sent":         "Message sent.",
	"msg-deleted":  "Message deleted.",
	"move-started": "Move task started.",
	"move-cancel":  "Move task cancelled.",
	"tenant":       "Tenant saved.",
	"tenant-del":   "Tenant deletion started.",
	"key":          "Access key saved.",
	"key-del":      "Access key deleted.",
}

var funcs = template.FuncMap{
	"account":   accountPath,
	"queuePath": queuePath,
	"bytes":     humanBytes,
	"age": func(ms int64) string {
		if ms <= 0 {
			return "—"
		}
		return (time.Duration(ms) * time.Millisecond).Truncate(time.Second).String()
	},
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	// unix shows SQS's timestamps: CreatedTimestamp in seconds.
	"unix": func(s string) string {
		var sec int64
		if _, err := fmt.Sscan(s, &sec); err != nil || sec == 0 {
			return s
		}
		return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05 UTC")
	},
	// unixms shows a move task's StartedTimestamp, in milliseconds.
	"unixms": func(ms int64) string {
		if ms == 0 {
			return "—"
		}
		return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	},
	"money": func(micros int64) string { return fmt.Sprintf("%.2f", float64(micros)/1e6) },
}

func accountPath(account string) string { return Path + "/a/" + url.PathEscape(account) }

func queuePath(account, name string) string {
	return accountPath(account) + "/queues/" + url.PathEscape(name)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// parsePages parses each page with the layout it fills in.
func parsePages() (map[string]*template.Template, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes a whole page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	if v.Flash == "" {
		v.Flash = flashes[r.URL.Query().Get("ok")]
	}
	c.execute(w, status, page, "layout", v)
}

// fragment writes one named template of a page (what the script swaps in).
func (c *Console) fragment(w http.ResponseWriter, page, name string, data any) {
	c.execute(w, http.StatusOK, page, name, data)
}

func (c *Console) execute(w http.ResponseWriter, status int, page, name string, data any) {
	t, ok := c.pages[page]
	if !ok {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		c.opts.Log.Error("console: render", "page", page, "error", err)
		http.Error(w, "The page could not be rendered; see the server log.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// fail shows an error: the API's status, code and message. A token the
// control plane no longer accepts ends the session.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	pe, ok := asPageError(err)
	if !ok {
		c.opts.Log.Error("console request failed", "path", r.URL.Path, "error", err)
		pe = &pageError{Status: http.StatusInternalServerError, Code: "InternalError", Message: "The request failed; see the server log."}
	}
	if pe.Status == http.StatusUnauthorized && s != nil {
		clearCookie(w, r, sessionCookie)
		s = nil
	}
	if isFragment(r) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(pe.Status)
		_, _ = fmt.Fprintf(w, "%s: %s", pe.Code, pe.Message)
		return
	}
	c.render(w, r, pe.Status, "error", view{S: s, Account: r.PathValue("account"), Title: "Error", Data: pe})
}

// redirect answers a post: back to a page, with a flash code.
func redirect(w http.ResponseWriter, r *http.Request, to, flash string) {
	if flash != "" {
		to += "?ok=" + flash
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
