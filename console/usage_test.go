package console

import (
	"testing"
	"time"
)

func TestChartBarsScaleToTheLargestDay(t *testing.T) {
	start := time.Date(2026, 11, 7, 0, 0, 0, 0, time.UTC)
	ch := newChart("requests", start, []float64{0, 50, 100, 25})
	if len(ch.Bars) != 4 || ch.MaxLabel != "100" || ch.First != "Nov 7" || ch.Last != "Nov 10" {
		t.Fatalf("chart %+v", ch)
	}
	full := float64(chartHeight - 2)
	for i, want := range []float64{0, full / 2, full, full / 4} {
		b := ch.Bars[i]
		if b.H != want || b.Y != chartHeight-want || b.W <= 0 || b.X < float64(i)*chartWidth/4 {
			t.Errorf("bar %d: %+v, want height %v", i, b, want)
		}
	}
	if ch.Bars[2].Label != "Nov 9: 100" {
		t.Errorf("label %q", ch.Bars[2].Label)
	}
	// No usage at all draws empty bars, not NaN.
	for _, b := range newChart("none", start, make([]float64, 30)).Bars {
		if b.H != 0 || b.Y != chartHeight {
			t.Fatalf("empty chart bar %+v", b)
		}
	}
}
