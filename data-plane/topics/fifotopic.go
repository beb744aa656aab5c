package topics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/sluice-mq/sluice/internal/kv"
)

// A FIFO topic deduplicates on its own, as SNS does: a message whose
// deduplication id the topic saw in the last 5 minutes is answered with
// the first message's MessageId and SequenceNumber and delivered nowhere.
// Each publish gets a SequenceNumber that grows within its message group.
//
// Keys, beside the topic's (every one expires 5 minutes after its last
// write, and publishes sweep expired ones a few at a time):
//
//	T/d/{account}/{region}/{name}/{dedupId}            the first message of a deduplication id
//	T/g/{account}/{region}/{name}/{groupId}            the group's last sequence number
//	T/e/{account}/{region}/{name}/{expires}/{d|g}{id}  expiry index (expires: 16 hex digits, unix ms)

// fifoIDRe is what SNS accepts as a group or deduplication id: 1 to 128
// alphanumeric or punctuation characters. The topic keys its records by
// them, so the bound keeps the keys small.
var fifoIDRe = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)

func checkFIFOID(param, v string) error {
	if !fifoIDRe.MatchString(v) {
		return invalidParameter("%s Reason: %s can only include alphanumeric and punctuation characters. 1 to 128 in length.", param, param)
	}
	return nil
}

// fifoWindow is SNS's (and SQS's) deduplication window.
const fifoWindow = 5 * 60 * 1000 // ms

// seqShift leaves room for 2^20 sequence numbers a millisecond in a
// group, as the engine's FIFO queues: a group idle for longer than the
// window starts again from the clock, above any number it had.
const seqShift = 20

func fifoPrefix(kind string, r Ref) []byte {
	return []byte("T/" + kind + "/" + r.Account + "/" + r.Region + "/" + r.Name + "/")
}

func dedupKey(r Ref, id string) []byte { return append(fifoPrefix("d", r), id...) }
func groupKey(r Ref, id string) []byte { return append(fifoPrefix("g", r), id...) }

func fifoExpiryKey(r Ref, expires int64, target string) []byte {
	return append(fifoPrefix("e", r), fmt.Sprintf("%016x/%s", expires, target)...)
}

// fifoRecord is a deduplication record (MessageID and Seq of the first
// message) or a group's record (Seq, its last sequence number).
type fifoRecord struct {
	MessageID string `json:"id,omitempty"`
	Seq       uint64 `json:"seq"`
	Expires   int64  `json:"exp"`
}

func readFIFORecord(ctx context.Context, r kv.Reader, key []byte) (*fifoRecord, error) {
	v, err := r.Get(ctx, key)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", key, err)
	}
	rec := &fifoRecord{}
	if err := json.Unmarshal(v, rec); err != nil {
		return nil, fmt.Errorf("decode %q: %w", key, err)
	}
	return rec, nil
}

// fifoTopicTxn is one publish transaction's view of a FIFO topic's
// deduplication and group records.
type fifoTopicTxn struct {
	tx    kv.Txn
	topic Ref
	now   int64 // unix ms
}

// formatSeq formats a sequence number as SNS does: decimal, 20 digits.
func formatSeq(seq uint64) string { return fmt.Sprintf("%020d", seq) }

// admit decides one message: a duplicate within the window returns the
// first message's id and sequence number and dup true; otherwise the
// message, whose id is id, gets the next sequence number of its group,
// and both records are written.
func (f *fifoTopicTxn) admit(ctx context.Context, id, group, dedup string) (msgID string, seq uint64, dup bool, err error) {
	dk := dedupKey(f.topic, dedup)
	prior, err := readFIFORecord(ctx, f.tx, dk)
	if err != nil {
		return "", 0, false, err
	}
	if prior != nil && prior.Expires > f.now {
		return prior.MessageID, prior.Seq, true, nil
	}
	gk := groupKey(f.topic, group)
	last, err := readFIFORecord(ctx, f.tx, gk)
	if err != nil {
		return "", 0, false, err
	}
	seq = uint64(f.now) << seqShift
	if last != nil && last.Seq >= seq {
		seq = last.Seq + 1
	}
	expires := f.now + fifoWindow
	if err := f.put(dk, "d"+dedup, fifoRecord{MessageID: id, Seq: seq, Expires: expires}); err != nil {
		return "", 0, false, err
	}
	if err := f.put(gk, "g"+group, fifoRecord{Seq: seq, Expires: expires}); err != nil {
		return "", 0, false, err
	}
	return id, seq, false, nil
}

func (f *fifoTopicTxn) put(key []byte, target string, rec fifoRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := f.tx.Set(key, v); err != nil {
		return err
	}
	return f.tx.Set(fifoExpiryKey(f.topic, rec.Expires, target), []byte{1})
}

// sweep deletes up to limit expired index entries and the records they
// name, unless a record was written again since (its expiry is later).
// Each publish sweeps a little more than it writes, so the records stay
// bounded by the last 5 minutes' publishes.
func (f *fifoTopicTxn) sweep(ctx context.Context, limit int) error {
	prefix := fifoPrefix("e", f.topic)
	end := append(append([]byte(nil), prefix...), fmt.Sprintf("%016x", f.now+1)...)
	kvs, err := f.tx.Scan(ctx, prefix, end, limit)
	if err != nil {
		return fmt.Errorf("sweep %s: %w", f.topic.ARN(), err)
	}
	for _, e := range kvs {
		rest := string(e.Key[len(prefix):])
		if len(rest) < 18 || rest[16] != '/' {
			continue
		}
		key := dedupKey(f.topic, rest[18:])
		if rest[17] == 'g' {
			key = groupKey(f.topic, rest[18:])
		}
		rec, err := readFIFORecord(ctx, f.tx, key)
		if err != nil {
			return err
		}
		if rec != nil && rec.Expires <= f.now {
			if err := f.tx.Delete(key); err != nil {
				return err
			}
		}
		if err := f.tx.Delete(e.Key); err != nil {
			return err
		}
	}
	return nil
}

// deleteFIFOState deletes a topic's deduplication, group and expiry
// records (DeleteTopic), so a topic created again under the name starts
// afresh.
func deleteFIFOState(ctx context.Context, tx kv.Txn, r Ref) error {
	if !r.FIFO() {
		return nil
	}
	for _, kind := range []string{"d", "g", "e"} {
		prefix := fifoPrefix(kind, r)
		kvs, err := tx.Scan(ctx, prefix, kv.PrefixEnd(prefix), 0)
		if err != nil {
			return err
		}
		for _, e := range kvs {
			if err := tx.Delete(e.Key); err != nil {
				return err
			}
		}
	}
	return nil
}
