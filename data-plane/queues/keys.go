package queues

import "strings"

// The catalog's keys. Queue records sort by account, then region, then
// name, so an account's or a region's queues are one scan.
//
//	C/q/{account}/{region}/{name}   queue record (record.go)
//	C/d/{account}/{region}/{name}   deleted-at marker (QueueDeletedRecently)
//	C/n/{account}                   the account's queue count (count.go)
//	Q/{did}/q                       the queue key of a data range, for the engine's due index
//	G/{did}                         data range the engine's sweeper removes

func recordKey(ref Ref) []byte {
	return []byte("C/q/" + ref.Account + "/" + ref.Region + "/" + ref.Name)
}

// RecordsPrefix is the prefix of every queue record.
func RecordsPrefix() []byte { return []byte("C/q/") }

// AccountPrefix is the prefix of the account's queue records, in every
// region.
func AccountPrefix(account string) []byte { return []byte("C/q/" + account + "/") }

func regionPrefix(account, region string) []byte {
	return []byte("C/q/" + account + "/" + region + "/")
}

func deletedKey(ref Ref) []byte {
	return []byte("C/d/" + ref.Account + "/" + ref.Region + "/" + ref.Name)
}

func countKey(account string) []byte { return []byte("C/n/" + account) }

// NameKey names the queue that owns the data range d. It lives in the
// range, so the engine's sweeper removes it with the range.
func NameKey(d DataID) []byte {
	k := make([]byte, 0, 2+DataIDLen+2)
	k = append(k, "Q/"...)
	k = append(k, d[:]...)
	return append(k, "/q"...)
}

// GarbagePrefix is the prefix of the G/{did} markers.
func GarbagePrefix() []byte { return []byte("G/") }

// GarbageKey marks the data range d for the engine's sweeper: the queue
// was deleted or purged.
func GarbageKey(d DataID) []byte { return append(GarbagePrefix(), d[:]...) }

// ParseKey reads a queue record key, C/q/{account}/{region}/{name}.
func ParseKey(k []byte) (Ref, bool) {
	rest, ok := strings.CutPrefix(string(k), "C/q/")
	if !ok {
		return Ref{}, false
	}
	account, rest, ok1 := strings.Cut(rest, "/")
	region, name, ok2 := strings.Cut(rest, "/")
	return Ref{Account: account, Region: region, Name: name}, ok1 && ok2
}
