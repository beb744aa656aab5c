package sigv4

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	amzDateLayout   = "20060102T150405Z"
	scopeTerminator = "aws4_request"
	unsignedPayload = "UNSIGNED-PAYLOAD"

	// echoLimit bounds how much of a client's value an error message quotes
	// back: AWS quotes it whole, but a header can be a megabyte long.
	echoLimit = 256
)

// Presigned query parameters.
const (
	paramAlgorithm     = "X-Amz-Algorithm"
	paramCredential    = "X-Amz-Credential"
	paramDate          = "X-Amz-Date"
	paramExpires       = "X-Amz-Expires"
	paramSignedHeaders = "X-Amz-SignedHeaders"
	paramSignature     = "X-Amz-Signature"
	paramSecurityToken = "X-Amz-Security-Token"
	paramContentSHA256 = "X-Amz-Content-Sha256"
)

// claim is what a request says about its own signature, before any of it is
// believed.
type claim struct {
	accessKeyID string
	scopeDate   string
	region      string
	service     string
	terminator  string

	signedHeaders     []string
	signedHeadersText string
	signature         string

	// amzDate is the timestamp line of the string to sign, as the client
	// wrote it; dateSource names where it came from, for error messages.
	amzDate    string
	dateSource string
	signedAt   time.Time

	presigned  bool
	expires    time.Duration
	hasExpires bool
}

// scope is the credential scope line of the string to sign.
func (c *claim) scope() string {
	return c.scopeDate + "/" + c.region + "/" + c.service + "/" + c.terminator
}

// parseAuthorizationHeader reads "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." and the request date. Parameters may be separated by commas,
// spaces or both, as AWS accepts.
func parseAuthorizationHeader(r *http.Request, value string) (*claim, error) {
	alg, rest, _ := strings.Cut(value, " ")
	if alg != algorithm && strings.HasPrefix(alg, "AWS4-") {
		return nil, incomplete("Unsupported AWS 'algorithm': '%s'.", echo(alg))
	}
	if alg != algorithm {
		rest = "" // not SigV4 at all: report every part as missing
	}

	var credential, signedHeaders, signature string
	var haveCredential, haveSignedHeaders, haveSignature bool
	for rest != "" {
		var field string
		field, rest = nextParam(rest)
		if field == "" {
			continue
		}
		key, val, ok := strings.Cut(field, "=")
		if !ok {
			return nil, incomplete("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.",
				echo(field), echo(value))
		}
		switch {
		case key == "Credential" && !haveCredential:
			credential, haveCredential = val, true
		case key == "SignedHeaders" && !haveSignedHeaders:
			signedHeaders, haveSignedHeaders = val, true
		case key == "Signature" && !haveSignature:
			signature, haveSignature = val, true
		}
	}

	amzDate, dateSource, signedAt, dateErr := headerDate(r)
	var missing strings.Builder
	if !haveCredential {
		missing.WriteString("Authorization header requires 'Credential' parameter. ")
	}
	if !haveSignature {
		missing.WriteString("Authorization header requires 'Signature' parameter. ")
	}
	if !haveSignedHeaders {
		missing.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
	}
	if dateSource == "" && dateErr == nil {
		missing.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	if missing.Len() > 0 {
		return nil, incomplete("%sAuthorization=%s", missing.String(), echo(value))
	}
	if dateErr != nil {
		return nil, dateErr
	}

	c := &claim{
		signature:  signature,
		amzDate:    amzDate,
		dateSource: dateSource,
		signedAt:   signedAt,
	}
	if err := c.setCredential(credential); err != nil {
		return nil, err
	}
	c.setSignedHeaders(signedHeaders)
	return c, nil
}

// headerDate returns the request time from X-Amz-Date, or else from Date
// (RFC 1123, which SigV4 also allows). No usable header gives an empty source.
func headerDate(r *http.Request) (amzDate, source string, t time.Time, err error) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := parseAmzDate(v)
		if err != nil {
			return "", "", time.Time{}, err
		}
		return v, "X-Amz-Date", t, nil
	}
	if v := r.Header.Get("Date"); v != "" {
		if t, err := http.ParseTime(v); err == nil {
			return t.UTC().Format(amzDateLayout), "Date", t.UTC(), nil
		}
	}
	return "", "", time.Time{}, nil
}

func parseAmzDate(v string) (time.Time, error) {
	t, err := time.Parse(amzDateLayout, v)
	if err != nil || len(v) != len(amzDateLayout) {
		return time.Time{}, incomplete("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", echo(v))
	}
	return t, nil
}

// parsePresigned reads the X-Amz-* query parameters of a presigned URL.
// params are the decoded query parameters.
func parsePresigned(params []queryParam, maxExpiry time.Duration) (*claim, error) {
	values := map[string]string{}
	for _, p := range params {
		switch p.key {
		case paramAlgorithm, paramCredential, paramDate, paramExpires, paramSignedHeaders, paramSignature:
			if _, dup := values[p.key]; dup {
				return nil, incomplete("AWS query-string parameter '%s' must appear only once.", p.key)
			}
			values[p.key] = p.value
		}
	}

	var missing strings.Builder
	for _, name := range []string{paramAlgorithm, paramCredential, paramSignature, paramSignedHeaders, paramDate} {
		if _, ok := values[name]; !ok {
			missing.WriteString("AWS query-string parameters must include '" + name + "'. ")
		}
	}
	if missing.Len() > 0 {
		return nil, incomplete("%sRe-examine the query-string parameters.", missing.String())
	}
	if values[paramAlgorithm] != algorithm {
		return nil, incomplete("X-Amz-Algorithm only supports \"%s\"", algorithm)
	}
	signedAt, err := parseAmzDate(values[paramDate])
	if err != nil {
		return nil, err
	}

	c := &claim{
		signature:  values[paramSignature],
		amzDate:    values[paramDate],
		dateSource: paramDate,
		signedAt:   signedAt,
		presigned:  true,
	}
	if raw, ok := values[paramExpires]; ok {
		seconds, err := strconv.ParseInt(raw, 10, 64)
		switch {
		case err != nil:
			return nil, incomplete("X-Amz-Expires should be a number")
		case seconds < 0:
			return nil, incomplete("X-Amz-Expires must be non-negative")
		case seconds > int64(maxExpiry/time.Second):
			return nil, incomplete("X-Amz-Expires must be at most %d seconds", int64(maxExpiry/time.Second))
		}
		c.expires, c.hasExpires = time.Duration(seconds)*time.Second, true
	}
	if err := c.setCredential(values[paramCredential]); err != nil {
		return nil, err
	}
	c.setSignedHeaders(values[paramSignedHeaders])
	return c, nil
}

// setCredential splits "keyid/date/region/service/aws4_request". The parts
// are checked later, against the verifier's options and the request date.
func (c *claim) setCredential(credential string) error {
	parts := strings.SplitN(credential, "/", 6)
	if len(parts) != 5 {
		return incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'",
			echo(credential))
	}
	c.accessKeyID, c.scopeDate, c.region, c.service, c.terminator = parts[0], parts[1], parts[2], parts[3], parts[4]
	return nil
}

func (c *claim) setSignedHeaders(list string) {
	c.signedHeadersText = list
	if list != "" {
		c.signedHeaders = strings.Split(list, ";")
	}
}

// signs reports whether name (lower case) is among the signed headers.
func (c *claim) signs(name string) bool {
	for _, h := range c.signedHeaders {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// nextParam splits off the text before the next comma or space.
func nextParam(s string) (field, rest string) {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' || s[i] == ' ' {
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

func echo(s string) string {
	if len(s) <= echoLimit {
		return s
	}
	return s[:echoLimit] + "..."
}
