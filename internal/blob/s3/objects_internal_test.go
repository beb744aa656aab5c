package s3

import (
	"net/http"
	"testing"
)

func TestCheckRangeStart(t *testing.T) {
	for _, c := range []struct {
		contentRange string
		offset       int64
		ok           bool
	}{
		{"bytes 10-19/100", 10, true},
		{"bytes 0-0/1", 0, true},
		{"", 10, false},               // Range ignored: whole object
		{"bytes 0-99/100", 10, false}, // wrong start
		{"garbage", 0, false},
	} {
		header := http.Header{}
		if c.contentRange != "" {
			header.Set("Content-Range", c.contentRange)
		}
		if err := checkRangeStart(header, c.offset); (err == nil) != c.ok {
			t.Errorf("checkRangeStart(%q, %d) = %v, want ok=%v", c.contentRange, c.offset, err, c.ok)
		}
	}
}

func TestConfigPrefixGetsOneSlash(t *testing.T) {
	for prefix, want := range map[string]string{"": "", "sluice": "sluice/", "sluice/": "sluice/", "a/b": "a/b/"} {
		cfg, err := Config{Endpoint: "localhost:9000", Bucket: "bucket", Prefix: prefix}.normalized()
		if err != nil || cfg.Prefix != want {
			t.Errorf("Prefix %q normalized to %q, %v; want %q", prefix, cfg.Prefix, err, want)
		}
	}
	for _, prefix := range []string{"/abs", "a//", "../x"} {
		if _, err := (Config{Endpoint: "localhost:9000", Bucket: "bucket", Prefix: prefix}).normalized(); err == nil {
			t.Errorf("Prefix %q accepted", prefix)
		}
	}
}
