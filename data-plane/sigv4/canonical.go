package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// queryParam is one name=value pair of a query string, percent-decoded.
type queryParam struct{ key, value string }

// parseQuery splits a raw query string into decoded pairs, in order. A '+'
// decodes to a space when plusIsSpace, as Go's net/url (and so aws-sdk-go-v2)
// reads it. A malformed escape is kept as literal text rather than dropped,
// so that whatever is on the wire stays under the signature.
func parseQuery(raw string, plusIsSpace bool) []queryParam {
	if raw == "" {
		return nil
	}
	params := make([]queryParam, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		params = append(params, queryParam{unescape(key, plusIsSpace), unescape(value, plusIsSpace)})
	}
	return params
}

func unescape(s string, plusIsSpace bool) string {
	if strings.IndexByte(s, '%') < 0 && (!plusIsSpace || strings.IndexByte(s, '+') < 0) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case c == '+' && plusIsSpace:
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// canonicalQuery URI-encodes each name and value, sorts the pairs by encoded
// name then encoded value (SigV4 sorts after encoding, and the two orders
// differ: '%' sorts before '-'), and joins them. A parameter named skip is
// left out: the signature of a presigned URL cannot sign itself.
func canonicalQuery(params []queryParam, skip string) string {
	type pair struct{ key, value string }
	pairs := make([]pair, 0, len(params))
	size := 0
	for _, p := range params {
		if skip != "" && p.key == skip {
			continue
		}
		e := pair{uriEncode(p.key, false), uriEncode(p.value, false)}
		size += len(e.key) + len(e.value) + 2
		pairs = append(pairs, e)
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	var b strings.Builder
	b.Grow(size)
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// canonicalQueries returns the canonical query strings to try: '+' read as a
// space (Go's SDK), then, if the query has one, as a literal plus (signers
// that take the query string as it stands).
func canonicalQueries(rawQuery string, decoded []queryParam, skip string) []string {
	queries := []string{canonicalQuery(decoded, skip)}
	if strings.IndexByte(rawQuery, '+') >= 0 {
		queries = append(queries, canonicalQuery(parseQuery(rawQuery, false), skip))
	}
	return queries
}

// wirePath returns the request path as the client sent it, undecoded: that is
// what the client signed, after encoding it once more.
func wirePath(r *http.Request) string {
	target := r.RequestURI
	if target == "" { // built in-process rather than read from the wire
		return r.URL.EscapedPath()
	}
	if i := strings.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	if strings.HasPrefix(target, "/") {
		return target
	}
	// Absolute form, "http://host/path", as sent to proxies.
	if _, rest, ok := strings.Cut(target, "://"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return rest[i:]
		}
	}
	return "/"
}

// canonicalURIs returns the canonical URIs to try for a wire path: the path
// as sent, URI-encoded (so "%2F" becomes "%252F", as every SDK double-encodes
// for non-S3 services), then, if it differs, the path with dot segments and
// repeated slashes removed, which botocore and the JavaScript SDK sign while
// sending the path unchanged.
func canonicalURIs(path string) []string {
	if path == "" {
		path = "/"
	}
	uris := []string{uriEncode(path, true)}
	if normal := normalizePath(path); normal != path {
		uris = append(uris, uriEncode(normal, true))
	}
	return uris
}

// normalizePath removes "." and ".." segments and empty segments (RFC 3986
// section 5.2.4, plus the slash collapsing AWS asks for).
func normalizePath(path string) string {
	if !strings.Contains(path, "//") && !strings.Contains(path, "/.") {
		return path
	}
	var segments []string
	for _, s := range strings.Split(path, "/") {
		switch s {
		case "", ".":
		case "..":
			if len(segments) > 0 {
				segments = segments[:len(segments)-1]
			}
		default:
			segments = append(segments, s)
		}
	}
	normal := "/" + strings.Join(segments, "/")
	if len(segments) > 0 && strings.HasSuffix(path, "/") {
		normal += "/"
	}
	return normal
}

// uriEncode percent-encodes every byte outside SigV4's unreserved set
// (A-Z a-z 0-9 - _ . ~), in upper-case hex, keeping '/' if keepSlash.
func uriEncode(s string, keepSlash bool) string {
	escapes := 0
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) && (!keepSlash || s[i] != '/') {
			escapes++
		}
	}
	if escapes == 0 {
		return s
	}
	const upperHex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*escapes)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || (keepSlash && c == '/') {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperHex[c>>4], upperHex[c&0xf])
	}
	return string(b)
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// canonicalHeaders returns the "name:value\n" lines of the signed headers, in
// the order the client listed them (every SDK lists them sorted).
func canonicalHeaders(r *http.Request, names []string) string {
	var b strings.Builder
	b.Grow(64 * len(names))
	for _, name := range names {
		name = strings.ToLower(name)
		b.WriteString(name)
		b.WriteByte(':')
		writeHeaderValues(&b, r, name)
		b.WriteByte('\n')
	}
	return b.String()
}

// writeHeaderValues writes a header's values trimmed, with runs of spaces
// collapsed, joined by commas. Go's server keeps Host, and sometimes
// Content-Length and Transfer-Encoding, outside Request.Header.
func writeHeaderValues(b *strings.Builder, r *http.Request, name string) {
	if name == "host" {
		host := r.Host
		if host == "" {
			host = r.URL.Host
		}
		writeTrimmed(b, host)
		return
	}
	values := headerValues(r.Header, name)
	if len(values) == 0 {
		switch name {
		case "content-length":
			if r.ContentLength > 0 {
				b.WriteString(strconv.FormatInt(r.ContentLength, 10))
			}
		case "transfer-encoding":
			values = r.TransferEncoding
		}
	}
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		writeTrimmed(b, v)
	}
}

// headerValues is http.Header.Values for a lower-case name, without
// allocating the canonical form of the name.
func headerValues(h http.Header, lower string) []string {
	var buf [64]byte
	if len(lower) > len(buf) {
		return h.Values(lower)
	}
	key := buf[:len(lower)]
	upper := true
	for i := 0; i < len(lower); i++ {
		c := lower[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		key[i] = c
		upper = c == '-'
	}
	return h[string(key)]
}

func writeTrimmed(b *strings.Builder, v string) {
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteByte(v[i])
	}
}

// canonicalRequest joins the parts of the canonical request. headers already
// ends in a newline, so a blank line follows it, as SigV4 requires.
func canonicalRequest(method, uri, query, headers, signedHeaders, payloadHash string) []byte {
	buf := make([]byte, 0, len(method)+len(uri)+len(query)+len(headers)+len(signedHeaders)+len(payloadHash)+5)
	buf = append(buf, method...)
	buf = append(buf, '\n')
	buf = append(buf, uri...)
	buf = append(buf, '\n')
	buf = append(buf, query...)
	buf = append(buf, '\n')
	buf = append(buf, headers...)
	buf = append(buf, '\n')
	buf = append(buf, signedHeaders...)
	buf = append(buf, '\n')
	buf = append(buf, payloadHash...)
	return buf
}

// sign computes the signature over the string to sign.
func sign(signingKey []byte, amzDate, scope string, canonicalHash [sha256.Size]byte) []byte {
	buf := make([]byte, 0, len(algorithm)+len(amzDate)+len(scope)+2*sha256.Size+3)
	buf = append(buf, algorithm...)
	buf = append(buf, '\n')
	buf = append(buf, amzDate...)
	buf = append(buf, '\n')
	buf = append(buf, scope...)
	buf = append(buf, '\n')
	buf = hex.AppendEncode(buf, canonicalHash[:])
	mac := hmac.New(sha256.New, signingKey)
	mac.Write(buf)
	return mac.Sum(nil)
}
