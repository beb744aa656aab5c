package chaos

import (
	"fmt"
	"io/fs"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/e2e/internal/soak"
)

// serverSample is what TestSoak reads of the server at one moment.
type serverSample struct {
	at time.Duration // on the history's clock
	// From the server's /metrics: the Go runtime's heap in use and
	// goroutines, the process's resident set (from /proc).
	heapInuse, rss, goroutines float64
	backlog                    int64 // messages stored in the four queues
	diskBytes                  int64 // the data directory's size
}

// sampleServer scrapes the server's metrics and its queues' counts.
func sampleServer(t *testing.T, p *sluiceproc.Process, data string, at time.Duration) serverSample {
	t.Helper()
	fams, err := scrapeMetrics(p.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	s := serverSample{at: at}
	for name, v := range map[string]*float64{"go_memstats_heap_inuse_bytes": &s.heapInuse,
		"process_resident_memory_bytes": &s.rss, "go_goroutines": &s.goroutines} {
		f := fams[name]
		if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetGauge() == nil {
			t.Fatalf("%s: no gauge %s", p.MetricsURL, name)
		}
		*v = f.GetMetric()[0].GetGauge().GetValue()
	}
	for _, q := range []string{stdQ, fifoQ, stdDLQ, fifoDLQ} {
		s.backlog += queueStorage(t, p, q).Messages
	}
	s.diskBytes = dirSize(data)
	return s
}

func scrapeMetrics(url string) (map[string]*dto.MetricFamily, error) {
	if url == "" {
		return nil, fmt.Errorf("sluice dev printed no metrics URL")
	}
	resp, err := http.Get(url)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", url, err)
	}
	return fams, nil
}

// dirSize sums the sizes of the files under dir; files that vanish while
// it walks (compactions) are skipped.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// points turns one field of the samples into a series for package soak.
func points(samples []serverSample, field func(serverSample) float64) []soak.Point {
	ps := make([]soak.Point, len(samples))
	for i, s := range samples {
		ps[i] = soak.Point{At: s.at, Value: field(s)}
	}
	return ps
}
