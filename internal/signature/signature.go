// Package signature signs the HTTP requests Sluice makes to its users'
// endpoints (topic pushes, transactional check-backs) and verifies them
// as a receiver would: one scheme, one implementation.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header carries every signed request's signature:
//
//	X-Sluice-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
//
// The secret is the endpoint owner's (a subscription's SigningSecret, a
// queue's CheckBackSecret). A receiver recomputes the HMAC over the
// timestamp, a dot and the raw body, compares in constant time and refuses
// timestamps too far from its clock (MaxSkew is the usual tolerance), so a
// captured request cannot be replayed later.
const Header = "X-Sluice-Signature"

// Sign returns the Header value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// MaxSkew is the tolerance receivers are advised to use.
const MaxSkew = 5 * time.Minute

// Verify checks a Header value against body, as a receiver would: a v1
// signature by secret, stamped within maxSkew of now.
func Verify(secret, header string, body []byte, now time.Time, maxSkew time.Duration) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
			return errors.New("malformed signature header")
		case k == "t":
			ts = v
		case k == "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("signature header has no timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return errors.New("signature timestamp outside the tolerance")
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return errors.New("no matching v1 signature")
}
