package history

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Anomaly kinds.
const (
	// Lost: a send was acknowledged and the message was never delivered.
	Lost = "lost"
	// DoubleDelivery: a message was delivered while an earlier receipt of
	// it was certainly still within its visibility timeout.
	DoubleDelivery = "double-delivery"
	// Phantom: a delivered message that was never sent, or whose send
	// failed.
	Phantom = "phantom"
	// OrderViolation: on a FIFO group, a message was delivered before one
	// acknowledged ahead of it.
	OrderViolation = "order-violation"
	// DeletedDelivered: a message delivered again after a delete with a
	// still-valid receipt was acknowledged.
	DeletedDelivered = "deleted-delivered"
	// Corrupt: a delivered body differs from the body sent.
	Corrupt = "corrupt"
	// CrashRedelivery is not an anomaly: a message of a queue whose claims
	// and deletes are lazy (Checker.LazyClaims) delivered again inside an
	// earlier receipt's visibility, or after its acknowledged delete, with
	// a fault that began after that receive or delete was invoked and
	// within LazyClaimWindow of its reply. The server had not yet made the
	// claim or the delete durable when it died (docs/architecture.md §3,
	// "UpdateLazy"); SQS's standard queues promise at-least-once delivery,
	// so this is allowed there. Counted in Report.Counts, never in
	// Report.Anomalies.
	CrashRedelivery = "crash-redelivery"
)

// LazyClaimWindow bounds how long before a fault a lazy claim may still
// be lost: Pebble writes unsynced commits to its log within milliseconds,
// so a claim made a second before a kill is in the file and survives it.
const LazyClaimWindow = time.Second

// Checker holds the checker's settings.
//
// # Soundness
//
// The checker reports only what no server behaviour consistent with the
// history could explain; it never reports a legal history. The server acts
// on a call at some instant between its Invoke and Complete (both taken on
// one client clock), so:
//
//   - A receive with visibility timeout v that delivered m at server time t
//     made a receipt valid until t+v ≥ Invoke+v. Two deliveries R1, R2 of
//     m are a double delivery only if, whichever was first on the server,
//     the second happened before the first's deadline: R2.Complete <
//     R1.Invoke+v1 and R1.Complete < R2.Invoke+v2. If one bound fails
//     there is an order and timing in which the first receipt had expired.
//   - A delete acknowledged with the receipt of R removed m only if that
//     receipt was still valid when the server ran it (Sluice, like SQS,
//     acknowledges a stale handle without deleting): certain when
//     Delete.Complete < R.Invoke+v. A later delivery is one whose receive
//     was invoked after Delete.Complete.
//   - FIFO: message a precedes b in a group if both sends were
//     acknowledged and a's completed before b's was invoked, or both were
//     entries of one batch with a first. (An unknown-outcome send may have
//     been applied at any time, so it orders nothing.) b is out of order
//     if a delivery of b completed before a's first delivery was invoked,
//     or one reply held b ahead of a.
//   - Lost: only acknowledged sends. Unknown-outcome sends may or may not
//     be delivered; failed ones must not be (phantom).
//
// The model has no ChangeMessageVisibility: a history that changes a
// receipt's timeout must not be judged by it.
//
// Slack shrinks every visibility window, for the server's clock (which
// measures the timeout, in milliseconds) running against the client's.
type Checker struct {
	Slack time.Duration
	// LazyClaims reports whether a queue's receive claims and deletes are
	// committed without waiting for the disk (Sluice: standard queues),
	// which makes a double delivery, or a delivery after a delete, across
	// a fault a CrashRedelivery. Nil: none are.
	LazyClaims func(queue string) bool
}

// DefaultSlack: deadlines are kept in whole milliseconds on a clock that
// may be slewed; 10 ms covers both on one machine.
const DefaultSlack = 10 * time.Millisecond

// Anomaly is one broken promise with the operations that show it.
type Anomaly struct {
	Kind   string
	Token  string
	Detail string
	// Ops are the operations involved, each cut to the entries of Token
	// (and, for order violations, the other message).
	Ops []Op
}

func (a Anomaly) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", a.Kind, a.Token, a.Detail)
	for _, op := range a.Ops {
		fmt.Fprintf(&b, "\n    #%d %s %s %s [%v, %v]", op.Index, op.Client, op.Kind, op.Queue,
			op.Invoke.Round(time.Microsecond), op.Complete.Round(time.Microsecond))
		if op.Visibility > 0 {
			fmt.Fprintf(&b, " vis %v", op.Visibility)
		}
		if op.Err != "" {
			fmt.Fprintf(&b, " err %q", op.Err)
		}
		for _, m := range op.Msgs {
			fmt.Fprintf(&b, " {%s %s", m.Token, m.Outcome)
			if m.Group != "" {
				fmt.Fprintf(&b, " group %s", m.Group)
			}
			if m.MessageID != "" {
				fmt.Fprintf(&b, " id %s", m.MessageID)
			}
			if m.Receipt != "" {
				fmt.Fprintf(&b, " receipt …%s", tail(m.Receipt, 12))
			}
			b.WriteString("}")
		}
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// Report is the checker's verdict.
type Report struct {
	Ops                      int
	SendsAcked, SendsFailed  int
	SendsUnknown             int
	UnknownDelivered         int
	Deliveries, Redeliveries int
	DeletesAcked             int
	Anomalies                []Anomaly
	Counts                   map[string]int
}

// OK reports whether the history kept every promise.
func (r Report) OK() bool { return len(r.Anomalies) == 0 }

// Summary is one line of counts.
func (r Report) Summary() string {
	return fmt.Sprintf("%d ops: sends %d acked, %d unknown (%d of them delivered), %d failed; %d deliveries (%d redeliveries); %d deletes acked; lost %d, double %d, phantom %d, order %d, deleted-delivered %d, corrupt %d; crash redeliveries (allowed) %d",
		r.Ops, r.SendsAcked, r.SendsUnknown, r.UnknownDelivered, r.SendsFailed, r.Deliveries, r.Redeliveries, r.DeletesAcked,
		r.Counts[Lost], r.Counts[DoubleDelivery], r.Counts[Phantom], r.Counts[OrderViolation], r.Counts[DeletedDelivered], r.Counts[Corrupt], r.Counts[CrashRedelivery])
}

type sendRef struct {
	op  *Op
	pos int
	msg Msg
}

type delivery struct {
	op  *Op
	pos int
	msg Msg
}

func (d delivery) deadline() time.Duration { return d.op.Invoke + d.op.Visibility }

// Check judges a history.
func (c Checker) Check(ops []Op) Report {
	r := Report{Ops: len(ops), Counts: map[string]int{}}
	add := func(a Anomaly) {
		r.Anomalies = append(r.Anomalies, a)
		r.Counts[a.Kind]++
	}
	sends := map[string][]sendRef{}
	deliveries := map[string][]delivery{}
	deletes := map[string][]*Op{} // receipt -> acknowledged deletes
	var faults []*Op
	var tokens []string // sent or delivered, in first-seen order
	seen := map[string]bool{}
	note := func(tok string) {
		if !seen[tok] {
			seen[tok] = true
			tokens = append(tokens, tok)
		}
	}
	for i := range ops {
		op := &ops[i]
		if op.Kind == Fault {
			faults = append(faults, op)
		}
		for pos, m := range op.Msgs {
			switch op.Kind {
			case Send:
				sends[m.Token] = append(sends[m.Token], sendRef{op, pos, m})
				note(m.Token)
				switch m.Outcome {
				case OK:
					r.SendsAcked++
				case Failed:
					r.SendsFailed++
				default:
					r.SendsUnknown++
				}
			case Receive:
				deliveries[m.Token] = append(deliveries[m.Token], delivery{op, pos, m})
				note(m.Token)
				r.Deliveries++
			case Delete:
				if m.Outcome == OK {
					deletes[m.Receipt] = append(deletes[m.Receipt], op)
					r.DeletesAcked++
				}
			}
		}
	}
	// between quotes the faults that overlap [from, to].
	between := func(from, to time.Duration) []Op {
		var out []Op
		for _, f := range faults {
			if f.Complete >= from && f.Invoke <= to {
				out = append(out, *f)
			}
		}
		return out
	}
	cut := func(op *Op, toks ...string) Op {
		o := *op
		o.Msgs = nil
		for _, m := range op.Msgs {
			for _, t := range toks {
				if m.Token == t {
					o.Msgs = append(o.Msgs, m)
				}
			}
		}
		return o
	}
	for _, tok := range tokens {
		ss, ds := sends[tok], deliveries[tok]
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].op.Invoke < ds[j].op.Invoke })
		if len(ds) > 1 {
			r.Redeliveries += len(ds) - 1
		}
		acked, possible := false, false
		for _, s := range ss {
			acked = acked || s.msg.Outcome == OK
			possible = possible || s.msg.Outcome != Failed
		}
		if !acked && possible && len(ds) > 0 {
			r.UnknownDelivered++
		}
		var sendOps []Op
		for _, s := range ss {
			sendOps = append(sendOps, cut(s.op, tok))
		}
		if acked && len(ds) == 0 {
			add(Anomaly{Kind: Lost, Token: tok, Detail: "acknowledged send never delivered", Ops: sendOps})
		}
		if len(ds) > 0 && !possible {
			what := "delivered but never sent"
			if len(ss) > 0 {
				what = "delivered but its send failed"
			}
			add(Anomaly{Kind: Phantom, Token: tok, Detail: what, Ops: append(sendOps, cut(ds[0].op, tok))})
		}
		for _, d := range ds {
			if d.msg.Corrupt {
				add(Anomaly{Kind: Corrupt, Token: tok, Detail: "delivered body differs from the body sent", Ops: []Op{cut(d.op, tok)}})
			}
		}
		// Pairs of deliveries: double delivery, or delivery after a delete.
		for i, d1 := range ds {
			// A delete acknowledged while d1's receipt was certainly valid.
			var del *Op
			for _, op := range deletes[d1.msg.Receipt] {
				if op.Complete+c.Slack < d1.deadline() && (del == nil || op.Complete < del.Complete) {
					del = op
				}
			}
			for j, d2 := range ds {
				if j == i {
					continue
				}
				if del != nil && d2.op.Invoke > del.Complete {
					if c.crashLost(del, d2, faults) {
						r.Counts[CrashRedelivery]++
						continue
					}
					add(Anomaly{Kind: DeletedDelivered, Token: tok,
						Detail: fmt.Sprintf("delete of receipt from #%d acknowledged at %v (receipt valid until ≥ %v), delivered again by #%d invoked at %v",
							d1.op.Index, del.Complete, d1.deadline(), d2.op.Index, d2.op.Invoke),
						Ops: append([]Op{cut(d1.op, tok), cut(del, tok), cut(d2.op, tok)}, between(d1.op.Invoke, d2.op.Complete)...)})
					continue
				}
				if j < i {
					continue
				}
				if d2.op.Complete+c.Slack < d1.deadline() && d1.op.Complete+c.Slack < d2.deadline() {
					if c.crashLostClaim(d1, d2, faults) {
						r.Counts[CrashRedelivery]++
						continue
					}
					detail := fmt.Sprintf("delivered by #%d (done %v) while the receipt of #%d was valid until ≥ %v",
						d2.op.Index, d2.op.Complete, d1.op.Index, d1.deadline())
					if d1.op == d2.op {
						detail = fmt.Sprintf("twice in one reply (#%d)", d1.op.Index)
					} else if d1.msg.Receipt == d2.msg.Receipt {
						detail += " — with the same receipt handle: the first claim was undone"
					}
					add(Anomaly{Kind: DoubleDelivery, Token: tok, Detail: detail,
						Ops: append([]Op{cut(d1.op, tok), cut(d2.op, tok)}, between(d1.op.Invoke, d2.op.Complete)...)})
				}
			}
		}
	}
	c.checkOrder(sends, deliveries, add, cut)
	return r
}

// crashLostClaim reports whether d2 may repeat d1 because a fault lost
// d1's lazy claim: the queue's claims are lazy, d1 came first, and a
// fault began after d1's receive was invoked, no later than
// LazyClaimWindow after its reply, and before d2's receive was invoked.
func (c Checker) crashLostClaim(d1, d2 delivery, faults []*Op) bool {
	if d1.op == d2.op {
		return false
	}
	if d2.op.Invoke < d1.op.Invoke {
		d1, d2 = d2, d1
	}
	return c.crashLost(d1.op, d2, faults)
}

// crashLost reports whether a lazy commit by op (a receive's claim or a
// delete) may have been lost in a fault before d2 delivered its message
// again.
func (c Checker) crashLost(op *Op, d2 delivery, faults []*Op) bool {
	if c.LazyClaims == nil || !c.LazyClaims(op.Queue) {
		return false
	}
	for _, f := range faults {
		if f.Invoke >= op.Invoke && f.Invoke <= op.Complete+LazyClaimWindow && f.Invoke <= d2.op.Invoke {
			return true
		}
	}
	return false
}

// checkOrder finds FIFO order violations per group.
func (c Checker) checkOrder(sends map[string][]sendRef, deliveries map[string][]delivery,
	add func(Anomaly), cut func(*Op, ...string) Op) {
	type entry struct {
		tok   string
		send  sendRef
		first *delivery // earliest-invoked delivery
	}
	groups := map[string][]*entry{}
	byTok := map[string]*entry{}
	for tok, ss := range sends {
		for _, s := range ss {
			if s.msg.Group == "" || s.msg.Outcome != OK {
				continue
			}
			e := &entry{tok: tok, send: s}
			if ds := deliveries[tok]; len(ds) > 0 {
				first := ds[0]
				for _, d := range ds[1:] {
					if d.op.Invoke < first.op.Invoke {
						first = d
					}
				}
				e.first = &first
			}
			groups[s.msg.Group] = append(groups[s.msg.Group], e)
			byTok[tok] = e
			break
		}
	}
	precedes := func(a, b *entry) bool {
		if a.send.op == b.send.op {
			return a.send.pos < b.send.pos
		}
		return a.send.op.Complete < b.send.op.Invoke
	}
	var names []string
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		es := groups[g]
		// For each b, the predecessor whose first delivery was invoked
		// latest: b is out of order if any delivery of b completed before
		// it. Sends sorted by completion give the predecessors as a prefix
		// (plus earlier entries of b's own batch).
		byComplete := append([]*entry(nil), es...)
		sort.SliceStable(byComplete, func(i, j int) bool {
			return byComplete[i].send.op.Complete < byComplete[j].send.op.Complete
		})
		var latest *entry
		k := 0
		byInvoke := append([]*entry(nil), es...)
		sort.SliceStable(byInvoke, func(i, j int) bool {
			if byInvoke[i].send.op.Invoke != byInvoke[j].send.op.Invoke {
				return byInvoke[i].send.op.Invoke < byInvoke[j].send.op.Invoke
			}
			return byInvoke[i].send.pos < byInvoke[j].send.pos
		})
		later := func(a, b *entry) *entry { // the one whose first delivery was invoked later
			if a == nil || a.first == nil {
				return b
			}
			if b == nil || b.first == nil || a.first.op.Invoke >= b.first.op.Invoke {
				return a
			}
			return b
		}
		for _, b := range byInvoke {
			for k < len(byComplete) && byComplete[k].send.op.Complete < b.send.op.Invoke {
				latest = later(latest, byComplete[k])
				k++
			}
			cand := latest
			for p := 0; p < b.send.pos; p++ { // earlier entries of b's batch
				if a := byTok[b.send.op.Msgs[p].Token]; a != nil && a.send.op == b.send.op && a.send.msg.Group == b.send.msg.Group {
					cand = later(cand, a)
				}
			}
			if cand == nil || cand.first == nil || !precedes(cand, b) {
				continue
			}
			a := cand
			for _, d := range deliveries[b.tok] {
				if d.op.Complete < a.first.op.Invoke {
					add(Anomaly{Kind: OrderViolation, Token: b.tok,
						Detail: fmt.Sprintf("group %s: delivered by #%d before %s, sent ahead of it, was first delivered by #%d",
							g, d.op.Index, a.tok, a.first.op.Index),
						Ops: []Op{cut(a.send.op, a.tok), cut(b.send.op, b.tok), cut(d.op, b.tok), cut(a.first.op, a.tok)}})
					break
				}
			}
		}
		// One reply holding b ahead of a message sent before it.
		seenOps := map[*Op]bool{}
		for _, e := range es {
			for _, d := range deliveries[e.tok] {
				if seenOps[d.op] {
					continue
				}
				seenOps[d.op] = true
				for p, m := range d.op.Msgs {
					b := byTok[m.Token]
					if b == nil || b.send.msg.Group != g {
						continue
					}
					for _, m2 := range d.op.Msgs[p+1:] {
						if a := byTok[m2.Token]; a != nil && a.send.msg.Group == b.send.msg.Group && precedes(a, b) {
							add(Anomaly{Kind: OrderViolation, Token: b.tok,
								Detail: fmt.Sprintf("group %s: reply #%d holds it ahead of %s, sent ahead of it", g, d.op.Index, a.tok),
								Ops:    []Op{cut(a.send.op, a.tok), cut(b.send.op, b.tok), cut(d.op, b.tok, a.tok)}})
						}
					}
				}
			}
		}
	}
}
