package load

import (
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i + 1)
	}
	cases := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample is every percentile", []time.Duration{7}, 99, 7},
		{"median of 1..100", hundred, 50, 50},
		{"p99 of 1..100", hundred, 99, 99},
		{"p100 is the max", hundred, 100, 100},
		{"tiny p is the min", hundred, 0.001, 1},
		{"p50 of two is the lower", []time.Duration{1, 2}, 50, 1},
		{"p99 of ten is the max", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
		{"p50 of odd count is the middle", []time.Duration{1, 2, 3}, 50, 2},
	}
	for _, c := range cases {
		if got := Percentile(c.sorted, c.p); got != c.want {
			t.Errorf("%s: Percentile(p%v) = %v, want %v", c.name, c.p, got, c.want)
		}
	}
}

func TestSummarizeSortsFirst(t *testing.T) {
	got := summarize([]time.Duration{5, 1, 4, 2, 3})
	want := Latency{Count: 5, P50: 3, P99: 5, Max: 5}
	if got != want {
		t.Fatalf("summarize = %+v, want %+v", got, want)
	}
	if (summarize(nil) != Latency{}) {
		t.Fatal("summarize(nil) is not zero")
	}
}

func TestBodyRoundTrip(t *testing.T) {
	w := newBodyWriter(0xdeadbeef, 256)
	sentAt := time.Unix(1700000000, 123456789)
	body := w.body(42, sentAt)
	if len(body) != 256 {
		t.Fatalf("body is %d bytes, want 256", len(body))
	}
	h, err := parseBody(body)
	if err != nil {
		t.Fatal(err)
	}
	if h.runID != 0xdeadbeef || h.seq != 42 || !h.sentAt.Equal(sentAt) {
		t.Fatalf("parsed %+v", h)
	}
	if _, err := parseBody("not a bench body, but long enough to look like one!"); err == nil {
		t.Fatal("a foreign body parsed")
	}
}
