package engine

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/internal/kv"
)

// halfScanLimit bounds the half states one HalfMessages read scans: the
// count it answers is exact below it and "at least" at it, as a gauge
// need not be more.
const halfScanLimit = 1000

// HalfMessages is what a queue holds of undecided half messages.
type HalfMessages struct {
	// Pending is how many are undecided, counted over at most
	// halfScanLimit half states (decided ones, kept an hour, count toward
	// the scan but not here); Capped says the scan stopped there, so there
	// may be more.
	Pending int
	Capped  bool
	// OldestAgeMillis is how long ago the oldest undecided one was sent;
	// 0 when there is none.
	OldestAgeMillis int64
	// Oldest are the oldest undecided ones, oldest first, as many as asked.
	Oldest []HalfMessage
}

// HalfMessage is one undecided half message.
type HalfMessage struct {
	TransactionID string
	AgeMillis     int64
	// CheckBacks is how many check-backs were made (or claimed) so far.
	CheckBacks int
	// NextCheckBack is when the next check-back is due (unix ms).
	NextCheckBack int64
}

// HalfMessages reads the undecided half messages of a queue in one
// read-only transaction: their count and age of the oldest, and the
// oldest n of them. Half states are keyed by message id, whose leading
// 48 bits are the send's millisecond (msgid.go), so the scan meets them
// oldest first and the age needs no message record.
func (e *Engine) HalfMessages(ctx context.Context, ref queues.Ref, n int) (HalfMessages, error) {
	var h HalfMessages
	err := e.store.View(ctx, func(r kv.Reader) error {
		h = HalfMessages{}
		q, err := e.catalog.Read(ctx, r, ref)
		if err != nil {
			return err
		}
		prefix := append(dataPrefix(q.DID()), "h/"...)
		kvs, err := r.Scan(ctx, prefix, kv.PrefixEnd(prefix), halfScanLimit)
		if err != nil {
			return err
		}
		h.Capped = len(kvs) == halfScanLimit
		now := e.clock().UnixMilli()
		for _, p := range kvs {
			var st halfState
			if err := json.Unmarshal(p.Value, &st); err != nil {
				return fmt.Errorf("half state %x: %w", p.Key, err)
			}
			if st.State != halfPending || len(p.Key) != len(prefix)+msgIDLen {
				continue
			}
			var id msgID
			copy(id[:], p.Key[len(prefix):])
			age := max(now-idMillis(id), 0)
			if h.Pending == 0 {
				h.OldestAgeMillis = age
			}
			h.Pending++
			if len(h.Oldest) < n {
				h.Oldest = append(h.Oldest, HalfMessage{TransactionID: formatMessageID(id), AgeMillis: age,
					CheckBacks: st.Attempts, NextCheckBack: st.Due})
			}
		}
		return nil
	})
	return h, err
}

// idMillis is the unix millisecond at the head of a message id.
func idMillis(id msgID) int64 {
	var t [8]byte
	copy(t[2:], id[:6])
	return int64(binary.BigEndian.Uint64(t[:]))
}
