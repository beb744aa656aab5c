package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/signature"
)

// Check-back asks the producer of a half message left undecided past its
// queue's timeout whether it commits (docs/transactional-messages.md). The
// loop walks the check-back index H/ up to now. For each entry it first
// claims the message in a transaction — bumps its attempt count and moves
// its entry to now + checkBackLease — so one node at a time asks about it
// (a node that dies mid-request leaves the entry to come due again); it
// then POSTs the request and applies the answer only if the half state is
// still the one it claimed. An unknown answer or a failure waits an
// exponential backoff; after the queue's MaxCheckBacks of them the
// message is rolled back or dead-lettered, with the reason recorded in its
// half state. Entries of decided messages are where their decisions are
// forgotten.

const (
	// checkBackPage is how many index entries one transaction settles.
	checkBackPage = 256
	// checkBackClaims bounds the pending messages one round checks back.
	checkBackClaims = 64
	// checkBackBudget bounds how long one round pages through the index.
	checkBackBudget = 2 * time.Second
	// checkBackParallel bounds the requests one node has in flight.
	checkBackParallel = 8
	// checkBackRequestTimeout bounds one check-back request.
	checkBackRequestTimeout = 10 * time.Second
	// checkBackLease is how long a claim keeps other nodes off a message:
	// longer than a request may take.
	checkBackLease = 30 * 1000 // ms
	// maxCheckBackBackoff caps the wait between check-backs.
	maxCheckBackBackoff = 60 * 60 * 1000 // ms
	// maxCheckBackAnswer bounds the answer body read.
	maxCheckBackAnswer = 4 << 10
)

// CheckBackRequest is the JSON body POSTed to a check-back endpoint.
type CheckBackRequest struct {
	QueueArn       string `json:"queueArn"`
	TransactionID  string `json:"transactionId"`
	MessageID      string `json:"messageId"`
	MessageGroupID string `json:"messageGroupId,omitempty"`
	Attempt        int    `json:"attempt"`
	SentTimestamp  int64  `json:"sentTimestamp"` // unix ms of the half send
	Body           string `json:"body"`
}

// CheckBackAnswer is the endpoint's JSON answer: decision is commit,
// rollback or unknown.
type CheckBackAnswer struct {
	Decision string `json:"decision"`
}

// CheckBack runs one round: it pages through the check-back index up to
// now, settles decided and stale entries a page per transaction, and
// checks back the pending messages found, up to checkBackClaims of them.
// A round pages for at most checkBackBudget, so a backlog of decisions
// to forget is worked off over a few rounds rather than holding one.
func (e *Engine) CheckBack(ctx context.Context) error {
	now := e.clock().UnixMilli()
	end := checkBackKey(now+1, did{}, msgID{})
	start := checkBackPrefix
	began := time.Now()
	var pending []checkBackEntry
	for {
		var due []kv.KV
		err := e.store.View(ctx, func(r kv.Reader) (err error) {
			due, err = r.Scan(ctx, start, end, checkBackPage)
			return err
		})
		if err != nil {
			return fmt.Errorf("scan check-back index: %w", err)
		}
		left, err := e.settleDecided(ctx, due, now)
		if err != nil {
			return fmt.Errorf("settle decided half messages: %w", err)
		}
		pending = append(pending, left...)
		if len(due) < checkBackPage || len(pending) >= checkBackClaims || time.Since(began) > checkBackBudget || ctx.Err() != nil {
			break
		}
		start = append(bytes.Clone(due[len(due)-1].Key), 0)
	}
	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, checkBackParallel)
		mu   sync.Mutex
		errs []error
	)
	for _, en := range pending {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := e.checkBackOne(ctx, en.at, en.d, en.id); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("check back %s: %w", formatMessageID(en.id), err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// checkBackEntry is a parsed entry of the check-back index.
type checkBackEntry struct {
	at int64
	d  did
	id msgID
}

// settleDecided handles, in one transaction, the page's entries that need
// no request — a decision to move to its forget time or to forget, an
// entry whose state is gone or has moved on — and returns the pending ones.
func (e *Engine) settleDecided(ctx context.Context, page []kv.KV, now int64) ([]checkBackEntry, error) {
	if len(page) == 0 {
		return nil, nil
	}
	var pending []checkBackEntry
	err := e.store.Update(ctx, func(tx kv.Txn) error {
		pending = pending[:0]
		entries := make([]checkBackEntry, 0, len(page))
		keys := make([][]byte, 0, len(page))
		for _, p := range page {
			if at, d, id, ok := parseCheckBackKey(p.Key); ok {
				entries = append(entries, checkBackEntry{at, d, id})
				keys = append(keys, halfStateKey(d, id))
			}
		}
		states, err := tx.BatchGet(ctx, keys)
		if err != nil {
			return err
		}
		for i, en := range entries {
			v, ok := states[string(keys[i])]
			var st halfState
			if ok && json.Unmarshal(v, &st) != nil {
				ok = false
			}
			switch {
			case !ok || st.Due != en.at: // stale, or its queue purged or deleted
				if err := tx.Delete(checkBackKey(en.at, en.d, en.id)); err != nil {
					return err
				}
			case st.State == halfPending:
				pending = append(pending, en)
			case now < st.DecidedAt+decisionTTL:
				prev := st.Due
				st.Due = st.DecidedAt + decisionTTL
				if err := putHalfState(tx, en.d, en.id, &st, prev); err != nil {
					return err
				}
			default:
				if err := forgetHalf(tx, en.d, en.id, &st); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return pending, err
}

// halfClaim is a check-back this node claimed.
type halfClaim struct {
	q        *queues.Record
	ref      queues.Ref
	policy   queues.TransactionPolicy
	req      CheckBackRequest
	attempts int
	due      int64
}

// checkBackOne handles the entry at at: forgets a decision, resolves an
// exhausted message, or claims, asks and applies the answer.
func (e *Engine) checkBackOne(ctx context.Context, at int64, d did, id msgID) error {
	claim, err := e.claimCheckBack(ctx, at, d, id)
	if err != nil || claim == nil {
		return err
	}
	decision, why := e.askProducer(ctx, claim)
	return e.applyCheckBack(ctx, claim, d, id, decision, why)
}

// claimCheckBack does the entry's work that needs no request, in one
// transaction, and returns a claim when a request is to be made.
func (e *Engine) claimCheckBack(ctx context.Context, at int64, d did, id msgID) (*halfClaim, error) {
	var (
		claim *halfClaim
		out   halfOutcome
	)
	err := e.coldUpdate(ctx, ctx, e.store.Update, func(tx kv.Txn, cold *coldReads) error {
		claim, out = nil, halfOutcome{}
		entry := checkBackKey(at, d, id)
		if _, err := tx.Get(ctx, entry); isNotFound(err) {
			return nil // taken by another node
		} else if err != nil {
			return err
		}
		q, ref, err := e.queueOfData(ctx, tx, d)
		if err != nil {
			return err
		}
		st, err := readHalfState(ctx, tx, d, id)
		if err != nil {
			return err
		}
		if q == nil || st == nil || st.Due != at {
			return tx.Delete(entry) // queue purged or deleted, or stale
		}
		now := e.clock().UnixMilli()
		if st.State != halfPending {
			if forget := st.DecidedAt + decisionTTL; now < forget {
				prev := st.Due
				st.Due = forget
				return putHalfState(tx, d, id, st, prev)
			}
			return forgetHalf(tx, d, id, st)
		}
		pol := q.TransactionOrDefault()
		switch {
		case pol.CheckBackURL == "":
			return e.exhaust(ctx, tx, cold, q, ref, id, st, pol, "no check-back endpoint", &out)
		case st.Attempts >= pol.MaxCheckBacks:
			return e.exhaust(ctx, tx, cold, q, ref, id, st, pol, fmt.Sprintf("%d check-backs undecided (last: %s)", st.Attempts, st.Reason), &out)
		}
		rec, err := getMessage(ctx, tx, d, id)
		if err != nil {
			return err
		}
		if rec == nil || rec.VisibleAt != halfVisibleAt {
			st.State, st.Reason, st.DecidedAt = halfRolledBack, "the message expired before it was decided", now
			return putHalfState(tx, d, id, st, st.Due)
		}
		if err := e.hydrateIn(cold, d, id, rec); err != nil {
			return err // errColdPending: fetched before it runs again
		}
		prev := st.Due
		st.Attempts++
		st.Due = now + checkBackLease
		claim = &halfClaim{q: q, ref: ref, policy: pol, attempts: st.Attempts, due: st.Due, req: CheckBackRequest{
			QueueArn: ref.ARN(), TransactionID: formatMessageID(id), MessageID: formatMessageID(id),
			MessageGroupID: rec.Group, Attempt: st.Attempts, SentTimestamp: rec.SentAt, Body: string(rec.Body),
		}}
		return putHalfState(tx, d, id, st, prev)
	})
	if err != nil {
		return nil, err
	}
	e.applyHalfOutcome(out)
	return claim, nil
}

// queueOfData returns the live queue whose data id is d; nil when it was
// deleted or purged.
func (e *Engine) queueOfData(ctx context.Context, r kv.Reader, d did) (*queues.Record, queues.Ref, error) {
	name, err := r.Get(ctx, queues.NameKey(d))
	if isNotFound(err) {
		return nil, queues.Ref{}, nil
	}
	if err != nil {
		return nil, queues.Ref{}, err
	}
	ref, ok := queues.ParseKey(name)
	if !ok {
		return nil, queues.Ref{}, nil
	}
	q, err := queues.Load(ctx, r, ref)
	if errors.Is(err, sqserr.ErrQueueDoesNotExist) || (err == nil && !bytes.Equal(q.DataID, d[:])) {
		return nil, queues.Ref{}, nil
	}
	return q, ref, err
}

// exhaust gives up on a half message: dead-letters it when the policy
// says so and the queue has a redrive target, else rolls it back.
func (e *Engine) exhaust(ctx context.Context, tx kv.Txn, cold *coldReads, q *queues.Record, ref queues.Ref, id msgID, st *halfState, pol queues.TransactionPolicy, reason string, out *halfOutcome) error {
	d := q.DID()
	if pol.OnExhausted == queues.ExhaustedDeadLetter {
		rec, err := getMessage(ctx, tx, d, id)
		if err != nil {
			return err
		}
		if rec != nil && rec.VisibleAt == halfVisibleAt {
			now := e.clock().UnixMilli()
			moved, err := e.deadLetterHalf(ctx, tx, cold, q, ref, id, rec, now, out)
			if err != nil {
				return err
			}
			if moved {
				st.State, st.Reason, st.DecidedAt = halfDeadLettered, "check-back: "+reason, now
				e.log.Warn("half message dead-lettered", "queue", ref.ARN(), "message_id", formatMessageID(id), "reason", reason)
				return putHalfState(tx, d, id, st, st.Due)
			}
			reason += "; no dead-letter queue to move it to"
		}
	}
	e.log.Info("half message rolled back", "queue", ref.ARN(), "message_id", formatMessageID(id), "reason", reason)
	return e.decideHalf(ctx, tx, q, ref, id, st, Rollback, "check-back: "+reason, out)
}

// askProducer POSTs the claim's request and returns the decision, or 0
// with why there is none.
func (e *Engine) askProducer(ctx context.Context, c *halfClaim) (Decision, string) {
	body, err := json.Marshal(c.req)
	if err != nil {
		return 0, err.Error()
	}
	ctx, cancel := context.WithTimeout(ctx, checkBackRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.policy.CheckBackURL, bytes.NewReader(body))
	if err != nil {
		return 0, "bad check-back URL"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sluice-check-back/1")
	if c.policy.CheckBackSecret != "" {
		req.Header.Set(signature.Header, signature.Sign(c.policy.CheckBackSecret, e.clock(), body))
	}
	client := e.opts.CheckBackClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "request failed: " + err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxCheckBackAnswer))
	if err != nil {
		return 0, "reading the answer: " + err.Error()
	}
	if resp.StatusCode/100 != 2 {
		return 0, "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	var ans CheckBackAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		return 0, "answer is not JSON"
	}
	switch strings.ToLower(ans.Decision) {
	case "commit":
		return Commit, ""
	case "rollback":
		return Rollback, ""
	case "unknown":
		return 0, "producer answered unknown"
	}
	return 0, fmt.Sprintf("answer has no decision (%.40q)", ans.Decision)
}

// applyCheckBack applies the producer's answer if the message is still as
// claimed; without a decision it schedules the next check-back, or gives
// up after the last.
func (e *Engine) applyCheckBack(ctx context.Context, c *halfClaim, d did, id msgID, decision Decision, why string) error {
	var out halfOutcome
	err := e.coldUpdate(ctx, ctx, e.store.Update, func(tx kv.Txn, cold *coldReads) error {
		out = halfOutcome{}
		st, err := readHalfState(ctx, tx, d, id)
		if err != nil || st == nil || st.State != halfPending || st.Attempts != c.attempts || st.Due != c.due {
			return err // decided or claimed again meanwhile
		}
		q, ref, err := e.queueOfData(ctx, tx, d)
		if err != nil || q == nil {
			return err
		}
		if decision != 0 {
			return e.decideHalf(ctx, tx, q, ref, id, st, decision, "check-back: "+decision.String(), &out)
		}
		if st.Attempts >= c.policy.MaxCheckBacks {
			st.Reason = why
			return e.exhaust(ctx, tx, cold, q, ref, id, st, c.policy, fmt.Sprintf("%d check-backs undecided (last: %s)", st.Attempts, why), &out)
		}
		prev := st.Due
		st.Reason = why
		st.Due = e.clock().UnixMilli() + checkBackBackoff(c.policy, st.Attempts)
		return putHalfState(tx, d, id, st, prev)
	})
	if err != nil {
		return err
	}
	e.applyHalfOutcome(out)
	return nil
}

// checkBackBackoff is the wait after the attempts-th undecided check-back:
// the timeout, doubled each time, capped at an hour.
func checkBackBackoff(p queues.TransactionPolicy, attempts int) int64 {
	wait := int64(p.TimeoutSeconds) * 1000
	for i := 1; i < attempts && wait < maxCheckBackBackoff; i++ {
		wait *= 2
	}
	return min(wait, maxCheckBackBackoff)
}
