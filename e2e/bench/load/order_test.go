package load

import "testing"

func TestOrderCheckerCountsRegressionsPerGroup(t *testing.T) {
	var o orderChecker
	for _, r := range []struct{ group, seq string }{
		{"g0", "00000000000000000010"}, {"g1", "00000000000000000005"},
		{"g0", "00000000000000000011"}, {"g1", "00000000000000000004"}, // g1 went back
		{"g0", "00000000000000000009"}, // g0 went back
		{"g0", ""},                     // no sequence number
		{"g1", "00000000000000000006"},
	} {
		o.observe(r.group, r.seq)
	}
	if v, m := o.counts(); v != 2 || m != 1 {
		t.Fatalf("violations %d, missing %d; want 2, 1", v, m)
	}
}
