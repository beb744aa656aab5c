package console

import (
	"context"
	"strconv"
	"time"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
)

// halfListed is how many of a queue's oldest undecided half messages its
// page lists.
const halfListed = 10

// halfView is what the console shows of a queue's undecided half
// (transactional) messages.
type halfView struct {
	Count        string // "3", or "1000+" when the engine's bounded scan stopped
	OldestMillis int64
	Oldest       []halfRow
}

type halfRow struct {
	TransactionID string
	AgeMillis     int64
	CheckBacks    int
	NextCheckBack time.Time
}

// halfMessages reads ref's undecided half messages and the oldest n of
// them; nil without Gauges or when the read fails (the figure is a gauge:
// the page shows the rest without it). The caller has just read the
// queue through the control plane, so the user may see it.
func (c *Console) halfMessages(ctx context.Context, ref queues.Ref, n int) *halfView {
	if c.opts.Gauges == nil {
		return nil
	}
	h, err := c.opts.Gauges.HalfMessages(ctx, ref, n)
	if err != nil {
		return nil
	}
	return newHalfView(h)
}

func newHalfView(h engine.HalfMessages) *halfView {
	v := &halfView{Count: strconv.Itoa(h.Pending), OldestMillis: h.OldestAgeMillis}
	if h.Capped {
		v.Count += "+"
	}
	for _, m := range h.Oldest {
		v.Oldest = append(v.Oldest, halfRow{TransactionID: m.TransactionID, AgeMillis: m.AgeMillis,
			CheckBacks: m.CheckBacks, NextCheckBack: time.UnixMilli(m.NextCheckBack)})
	}
	return v
}
