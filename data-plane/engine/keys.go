package engine

import (
	"encoding/binary"

	"github.com/sluice-mq/sluice/data-plane/queues"
)

// Keyspace (binary, order-preserving). A queue's messages live under its
// data id, not its name: purge and delete switch to a fresh data id in
// O(1) and a sweeper removes the old range, so a recreated queue never sees
// old data. The queue catalog (data-plane/queues) owns the queue records
// (C/...), the G/{did} markers it leaves for the sweeper and Q/{did}/q.
//
//	G/{did}                               data range to sweep (written by the catalog)
//	R/{ms}{did}{node}                     recent change to a queue, for other nodes' long polls (wakeups.go)
//	Q/{did}/m/{msgId}                     message record
//	Q/{did}/v/{shard}/{visibleAt}/{msgId} visibility index entry
//	Q/{did}/f/{shard}                     scan floor: no live entry below it
//	Q/{did}/c/{node}                      one node's message-count total
//	Q/{did}/g/{group}                     FIFO group: head, index entry, last sequence number
//	Q/{did}/o/{group} 0x00 {seq}          FIFO group order: message id, visibleAt, received
//	Q/{did}/x/{dedup key}                 FIFO deduplication record (5 minutes)
//	Q/{did}/r/{attempt id}                FIFO ReceiveRequestAttemptId record (5 minutes)
//	Q/{did}/y/{expiresAt}/{x|r key}       expiry index of the two above, for the sweeper
//	Q/{did}/s/{seg}                       cold segment: how many messages it was written with
//	Q/{did}/k/{seg}{msgId}                dead marker: a segment's message that is gone
//	Q/{did}/l/{shard}                     tiering lease of a shard, with its resume key
//	Q/{did}/z/{deleteAfter}{seg}          segment blob to delete once no reader holds it
//	Q/{did}/w                             when the queue is next due for background work (due.go)
//	Q/{did}/h/{msgId}                     half message state (halfmsg.go)
//	H/{due ms}{did}{msgId}                check-back index of half messages (halfmsg.go)
//	Q/{did}/q                             the queue's key, for the due index's visitors (written by the catalog)
//	W/{due ms}{did}                       due index: queues with background work, by when
//	M/a/{tenant}/{region}/{name}          the source queue's active move task (its id)
//	M/t/{tenant}/{region}/{name}/{taskId} message move task record, lease included
//	E/shards                              the store's index shard count, kept by a sole writer (shards.go)
const (
	didLen   = queues.DataIDLen
	msgIDLen = 16
)

// did is the catalog's data id, short for the many keys built from it.
type did = queues.DataID
type msgID [msgIDLen]byte

// keySuffixRoom is room past a data prefix for the longest suffix of the
// hot keys (an index entry: "v/", shard, "/", visibleAt, "/", message id),
// so building one is one allocation, not three.
const keySuffixRoom = 2 + 1 + 1 + 8 + 1 + msgIDLen

// queueData prefixes every queue's data: Q/{did}/….
var queueData = []byte("Q/")

func dataPrefix(d did) []byte {
	k := make([]byte, 0, len(queueData)+didLen+1+keySuffixRoom)
	k = append(k, queueData...)
	k = append(k, d[:]...)
	return append(k, '/')
}

func messageKey(d did, id msgID) []byte {
	return append(append(dataPrefix(d), "m/"...), id[:]...)
}

// messageKeyLen is the length of every message record key.
const messageKeyLen = 2 + didLen + 1 + 2 + msgIDLen

// messageKeys builds the record keys of many messages in one allocation,
// as a claim or a delete of ten reads ten of them. Each key is capped at
// its own length, so appending to one cannot write into the next.
func messageKeys(d did, ids []msgID) [][]byte {
	buf := make([]byte, 0, len(ids)*messageKeyLen)
	keys := make([][]byte, len(ids))
	for i, id := range ids {
		start := len(buf)
		buf = append(append(append(append(buf, "Q/"...), d[:]...), "/m/"...), id[:]...)
		keys[i] = buf[start:len(buf):len(buf)]
	}
	return keys
}

// recordKeys builds a message's record key and its index entry key in one
// allocation: a put writes both and a removal deletes both.
func recordKeys(d did, shard uint8, visibleAt int64, id msgID) (record, index []byte) {
	buf := make([]byte, 0, messageKeyLen+2+didLen+1+keySuffixRoom)
	buf = append(append(append(append(buf, "Q/"...), d[:]...), "/m/"...), id[:]...)
	record = buf[:len(buf):len(buf)]
	index = append(append(append(buf[len(buf):], "Q/"...), d[:]...), '/', 'v', '/', shard, '/')
	index = binary.BigEndian.AppendUint64(index, uint64(visibleAt))
	index = append(append(index, '/'), id[:]...)
	return record, index
}

func shardPrefix(d did, shard uint8) []byte {
	return append(append(dataPrefix(d), 'v', '/'), shard, '/')
}

// indexKey orders entries by the time they become visible; the message id
// breaks ties.
func indexKey(d did, shard uint8, visibleAt int64, id msgID) []byte {
	k := shardPrefix(d, shard)
	k = binary.BigEndian.AppendUint64(k, uint64(visibleAt))
	k = append(k, '/')
	return append(k, id[:]...)
}

// indexBound is the first index key at or after visibleAt.
func indexBound(d did, shard uint8, visibleAt int64) []byte {
	return binary.BigEndian.AppendUint64(shardPrefix(d, shard), uint64(max(visibleAt, 0)))
}

// parseIndexKey returns the visibility time and message id of an index key
// of the shard.
func parseIndexKey(key []byte, prefixLen int) (visibleAt int64, id msgID, ok bool) {
	rest := key[prefixLen:]
	if len(rest) != 8+1+msgIDLen {
		return 0, id, false
	}
	visibleAt = int64(binary.BigEndian.Uint64(rest))
	copy(id[:], rest[9:])
	return visibleAt, id, true
}

func floorKey(d did, shard uint8) []byte {
	return append(append(dataPrefix(d), 'f', '/'), shard)
}

func countKey(d did, node string) []byte {
	return append(append(dataPrefix(d), "c/"...), node...)
}

func countPrefix(d did) []byte { return append(dataPrefix(d), "c/"...) }

// FIFO keys. Group ids and deduplication ids are printable ASCII, so a
// 0x00 byte after a group id keeps one group's order keys apart from a
// longer group id's.
func groupKey(d did, group string) []byte {
	return append(append(dataPrefix(d), "g/"...), group...)
}

func orderPrefix(d did, group string) []byte {
	return append(append(append(dataPrefix(d), "o/"...), group...), 0)
}

func orderKey(d did, group string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(orderPrefix(d, group), seq)
}

func dedupKey(d did, key string) []byte {
	return append(append(dataPrefix(d), "x/"...), key...)
}

func attemptKey(d did, id string) []byte {
	return append(append(dataPrefix(d), "r/"...), id...)
}

func expiryPrefix(d did) []byte { return append(dataPrefix(d), "y/"...) }

// expiryKey indexes a dedup or attempt record (its key's last part, with
// its one-letter kind) by when it expires.
func expiryKey(d did, at int64, kindAndID string) []byte {
	k := binary.BigEndian.AppendUint64(expiryPrefix(d), uint64(max(at, 0)))
	return append(append(k, '/'), kindAndID...)
}

// segKey is a segment's 9-byte name in keys: its shard and its id.
func (s segRef) key() []byte {
	return binary.BigEndian.AppendUint64([]byte{s.shard}, s.id)
}

func segmentPrefix(d did) []byte { return append(dataPrefix(d), "s/"...) }

func segmentKey(d did, s segRef) []byte { return append(segmentPrefix(d), s.key()...) }

func deadPrefix(d did, s segRef) []byte {
	return append(append(dataPrefix(d), "k/"...), s.key()...)
}

func deadKey(d did, s segRef, id msgID) []byte { return append(deadPrefix(d, s), id[:]...) }

func leaseKey(d did, shard uint8) []byte { return append(append(dataPrefix(d), "l/"...), shard) }

func blobDeletePrefix(d did) []byte { return append(dataPrefix(d), "z/"...) }

func blobDeleteKey(d did, after int64, s segRef) []byte {
	k := binary.BigEndian.AppendUint64(blobDeletePrefix(d), uint64(max(after, 0)))
	return append(k, s.key()...)
}

// moveActiveKey names the one RUNNING or CANCELLING move task of a source
// queue: every start writes it, so two concurrent starts conflict.
func moveActiveKey(tenant, region, name string) []byte {
	return []byte("M/a/" + tenant + "/" + region + "/" + name)
}

var moveActivePrefix = []byte("M/a/")

func moveTaskPrefix(tenant, region, name string) []byte {
	return []byte("M/t/" + tenant + "/" + region + "/" + name + "/")
}

func moveTaskKey(tenant, region, name string, id msgID) []byte {
	return append(moveTaskPrefix(tenant, region, name), id[:]...)
}
