package kvtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
)

// benchValue is the size of a small message record.
var benchValue = make([]byte, 300)

func init() {
	for i := range benchValue {
		benchValue[i] = byte('a' + i%26)
	}
}

// RunSplit runs b.N operations split evenly over workers goroutines; op
// gets the worker number and the worker's operation number. It reports
// perOp units per operation as unit/s, e.g. "txn/s" or "msgs/s", and the
// process's CPU time per unit (see CPUMeter).
func RunSplit(b *testing.B, workers, perOp int, unit string, op func(worker, i int) error) {
	b.Helper()
	per := (b.N + workers - 1) / workers
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	b.ResetTimer()
	cpu := StartCPUMeter()
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				if err := op(w, i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(per*workers*perOp)/b.Elapsed().Seconds(), unit)
	cpu.Report(b, per*workers*perOp, unit)
}

// CPUMeter measures the process's CPU time (user + system, every thread)
// over a benchmark. On a machine shared with other work, wall-clock
// figures move with the load; CPU time per unit moves much less, and it is
// what the server spends per message in production.
type CPUMeter struct{ start time.Duration }

// StartCPUMeter starts measuring.
func StartCPUMeter() CPUMeter { return CPUMeter{start: processCPU()} }

// Report reports the CPU time since the start per unit, as
// "cpu-µs/<unit without /s>" (e.g. "cpu-µs/msgs").
func (c CPUMeter) Report(b *testing.B, units int, unit string) {
	if units <= 0 {
		return
	}
	used := processCPU() - c.start
	name := "cpu-µs/" + strings.TrimSuffix(unit, "/s")
	b.ReportMetric(float64(used.Microseconds())/float64(units), name)
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchSend measures a send-like transaction: one message record and one
// index entry of 300 bytes each, on fresh keys.
func BenchSend(b *testing.B, s kv.Store, workers int) {
	ctx := context.Background()
	RunSplit(b, workers, 1, "txn/s", func(w, i int) error {
		return s.Update(ctx, func(tx kv.Txn) error {
			if err := tx.Set(fmt.Appendf(nil, "m/%02d/%09d", w, i), benchValue); err != nil {
				return err
			}
			return tx.Set(fmt.Appendf(nil, "v/%02d/%09d", w, i), benchValue)
		})
	})
}

// BenchClaim measures a claim-like transaction: scan 10 ready index
// entries from the worker's shard floor, LockSkip them, and move each to an
// in-flight entry while rewriting its message record. Each worker owns a
// shard, as receivers pick shards, so the figure is the transaction cost,
// not contention.
func BenchClaim(b *testing.B, s kv.Store, workers int) {
	const batch = 10
	ctx := context.Background()
	per := (b.N + workers - 1) / workers
	for w := range workers {
		for start := 0; start < per*batch; start += 1000 {
			err := s.Update(ctx, func(tx kv.Txn) error {
				for i := start; i < min(start+1000, per*batch); i++ {
					if err := tx.Set(fmt.Appendf(nil, "v/%02d/%09d", w, i), fmt.Appendf(nil, "%09d", i)); err != nil {
						return err
					}
					if err := tx.Set(fmt.Appendf(nil, "m/%02d/%09d", w, i), benchValue); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	floors := make([][]byte, workers)
	for w := range workers {
		floors[w] = fmt.Appendf(nil, "v/%02d/", w)
	}
	RunSplit(b, workers, 1, "txn/s", func(w, _ int) error {
		end := fmt.Appendf(nil, "v/%02d0", w)
		var next []byte
		err := s.Update(ctx, func(tx kv.Txn) error {
			ready, err := tx.Scan(ctx, floors[w], end, batch)
			if err != nil {
				return err
			}
			keys := make([][]byte, len(ready))
			for i, p := range ready {
				keys[i] = p.Key
			}
			locked, err := tx.LockSkip(ctx, keys)
			if err != nil {
				return err
			}
			for _, p := range locked {
				// Index entries are Set once and deleted once, as the
				// engine's are.
				if err := kv.DeleteSetOnce(tx, p.Key); err != nil {
					return err
				}
				if err := tx.Set(fmt.Appendf(nil, "f/%02d/%s", w, p.Value), []byte{1}); err != nil {
					return err
				}
				if err := tx.Set(fmt.Appendf(nil, "m/%02d/%s", w, p.Value), benchValue); err != nil {
					return err
				}
			}
			if len(ready) > 0 {
				next = append(ready[len(ready)-1].Key, 0)
			}
			return nil
		})
		if next != nil {
			floors[w] = next
		}
		return err
	})
}
