package engine

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"regexp"

	"github.com/sluice-mq/sluice/data-plane/msgattr"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/internal/kv"
)

// fifoWindow is how long SQS remembers a deduplication id, and a
// ReceiveRequestAttemptId.
const fifoWindow = 5 * 60 * 1000 // ms

// fifoIDPattern is what SQS accepts as a group, deduplication or receive
// attempt id: 1 to 128 alphanumeric or punctuation characters.
var fifoIDPattern = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)

func invalidFIFOID(param, v string) error {
	return errorf(sqserr.CodeInvalidParameterValue, "Value %s for parameter %s is invalid. Reason: %s can only include alphanumeric and punctuation characters. 1 to 128 in length.", v, param, param)
}

// checkFIFOEntries applies the rules that fail a whole FIFO send: a
// missing group id (MissingParameter for SendMessage, InvalidParameterValue
// for a batch) and a missing deduplication id without content-based
// deduplication. The batch codes and texts are SQS's as LocalStack recorded
// them against AWS; the SendMessage code has no recording (fifo_test.go).
func checkFIFOEntries(q *queues.Record, entries []SendInput, single bool) error {
	for _, in := range entries {
		if in.MessageGroupID == nil {
			code := sqserr.CodeInvalidParameterValue
			if single {
				code = sqserr.CodeMissingParameter
			}
			return errorf(code, "The request must contain the parameter MessageGroupId.")
		}
	}
	for _, in := range entries {
		if in.DeduplicationID == nil && !q.Attributes.ContentBasedDeduplication {
			return errorf(sqserr.CodeInvalidParameterValue, "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
	}
	return nil
}

// checkFIFOIDs validates an entry's group and deduplication ids and returns
// the ones the message keeps: on a FIFO queue the deduplication id is the
// given one or the SHA-256 of the body.
func checkFIFOIDs(q *queues.Record, in SendInput) (group, dedupID string, err error) {
	if in.MessageGroupID != nil {
		if group = *in.MessageGroupID; !fifoIDPattern.MatchString(group) {
			return "", "", invalidFIFOID("MessageGroupId", group)
		}
	}
	if !q.Attributes.FifoQueue {
		if in.DeduplicationID != nil {
			return "", "", errorf(sqserr.CodeInvalidParameterValue, "Value %s for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.", *in.DeduplicationID)
		}
		return group, "", nil
	}
	if in.DeduplicationID != nil {
		if dedupID = *in.DeduplicationID; !fifoIDPattern.MatchString(dedupID) {
			return "", "", invalidFIFOID("MessageDeduplicationId", dedupID)
		}
		return group, dedupID, nil
	}
	sum := sha256.Sum256([]byte(in.Body))
	return group, hex.EncodeToString(sum[:]), nil
}

// fifoSender sends one transaction's messages to a FIFO queue.
type fifoSender struct {
	groups *fifoGroups
	q      *queues.Record
	d      did
	// dedups holds the deduplication records readDedups read, by key
	// (nil: absent), and those this transaction wrote since.
	dedups map[string]*dedupRecord
}

// dedupKeyOf is the key rec's deduplication id is remembered under.
func (s *fifoSender) dedupKeyOf(rec *messageRecord) string {
	if s.q.Attributes.DeduplicationScope == queues.DedupScopeMessageGroup {
		return rec.Group + "\x00" + rec.DedupID
	}
	return rec.DedupID
}

// readDedups reads the deduplication records of a batch's messages (nil
// entries are refused ones) in one BatchGet: one round trip on TiKV, where
// a Get a message was most of a send's requests.
func (s *fifoSender) readDedups(ctx context.Context, recs []*messageRecord) error {
	var (
		names []string
		keys  [][]byte
	)
	s.dedups = make(map[string]*dedupRecord, len(recs))
	for _, rec := range recs {
		if rec != nil {
			name := s.dedupKeyOf(rec)
			names, keys = append(names, name), append(keys, dedupKey(s.d, name))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	vals, err := s.groups.tx.BatchGet(ctx, keys)
	if err != nil {
		return err
	}
	for i, k := range keys {
		var prior *dedupRecord
		if v, ok := vals[string(k)]; ok {
			if prior, err = decodeDedup(v); err != nil {
				return err
			}
		}
		s.dedups[names[i]] = prior
	}
	return nil
}

// dedup returns the deduplication record under key: as readDedups read
// it or this transaction wrote it since, else from the store.
func (s *fifoSender) dedup(ctx context.Context, key string) (*dedupRecord, error) {
	if prior, ok := s.dedups[key]; ok {
		return prior, nil
	}
	return getDedup(ctx, s.groups.tx, s.d, key)
}

// send stores the message at the end of its group, unless its
// deduplication id was seen in the last 5 minutes: then it answers with
// the first message's id and sequence number and stores nothing.
func (s *fifoSender) send(ctx context.Context, id msgID, rec *messageRecord) (res SendResult, added bool, err error) {
	res = SendResult{
		MD5OfMessageBody:             rec.MD5Body,
		MD5OfMessageAttributes:       msgattr.MD5OfAttributes(rec.Attrs),
		MD5OfMessageSystemAttributes: msgattr.MD5OfSystemAttributes(rec.SysAttrs),
	}
	now := s.groups.now
	key := s.dedupKeyOf(rec)
	prior, err := s.dedup(ctx, key)
	if err != nil {
		return res, false, err
	}
	if prior != nil && prior.expires > now {
		res.MessageID, res.SequenceNumber = formatMessageID(prior.id), fifoSeqNumber(prior.seq)
		return res, false, nil
	}
	if err := s.groups.appendMessage(ctx, s.d, id, rec); err != nil {
		return res, false, err
	}
	seen := dedupRecord{id: id, seq: rec.Seq, expires: now + fifoWindow}
	if err := s.groups.tx.Set(dedupKey(s.d, key), seen.encode()); err != nil {
		return res, false, err
	}
	if s.dedups != nil {
		s.dedups[key] = &seen
	}
	if err := s.groups.tx.Set(expiryKey(s.d, seen.expires, "x"+key), []byte{1}); err != nil {
		return res, false, err
	}
	res.MessageID, res.SequenceNumber = formatMessageID(id), fifoSeqNumber(rec.Seq)
	return res, true, nil
}

// dedupRecord remembers a sent message for the deduplication window.
type dedupRecord struct {
	id      msgID
	seq     uint64
	expires int64 // unix ms
}

func (r dedupRecord) encode() []byte {
	b := append([]byte{1}, r.id[:]...)
	b = binary.AppendUvarint(b, r.seq)
	return binary.AppendVarint(b, r.expires)
}

func getDedup(ctx context.Context, r kv.Reader, d did, key string) (*dedupRecord, error) {
	v, err := r.Get(ctx, dedupKey(d, key))
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeDedup(v)
}

func decodeDedup(v []byte) (*dedupRecord, error) {
	if len(v) < 1+msgIDLen || v[0] != 1 {
		return nil, errors.New("dedup record: bad format")
	}
	rec := &dedupRecord{}
	copy(rec.id[:], v[1:])
	dec := recordDecoder{b: v[1+msgIDLen:]}
	rec.seq, rec.expires = dec.uvarint(), dec.varint()
	return rec, dec.err
}
