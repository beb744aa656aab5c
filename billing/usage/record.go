package usage

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Usage records are what the nodes write: one per (account, region,
// queue, hour, node incarnation), holding that incarnation's cumulative
// counters for the hour, so writing one again overwrites it (a retried or
// repeated flush never adds) and records of different nodes, or of one
// node's successive runs, add up.
//
//	U/r/{account}/{hour: 16 hex digits of Unix seconds}/{region}/{queue}/{incarnation}
//
// Accounts are 12 digits and the hour is fixed-width, so one tenant's
// records for a time range are one contiguous scan. Calls on no queue have
// an empty region and queue.
const recordsPrefix = "U/r/"

// Day records are what the compaction (rollup.go) leaves of a UTC day
// whose late window has passed: one per (account, day, region, queue),
// the sum of every raw record of that day, in the same JSON as a raw
// record, its written time the last compaction that added to it.
//
//	U/d/{account}/{day: 16 hex digits of Unix seconds of 00:00 UTC}/{region}/{queue}
const daysPrefix = "U/d/"

// Incarnation is a node process's random id, 16 hex digits.
const incarnationLen = 16

// RecordKey returns the key of the record of (account, region, queue,
// hour, incarnation); hour is truncated to the hour.
func RecordKey(account, region, queue string, hour time.Time, incarnation string) []byte {
	return fmt.Appendf(nil, "%s%s/%016x/%s/%s/%s", recordsPrefix, account, hourOf(hour), region, queue, incarnation)
}

// RecordsPrefix is the prefix of every usage record.
func RecordsPrefix() []byte { return []byte(recordsPrefix) }

// accountRange is the key range of account's records of hours in [from, to).
func accountRange(account string, from, to time.Time) (start, end []byte) {
	return fmt.Appendf(nil, "%s%s/%016x/", recordsPrefix, account, hourOf(from)),
		fmt.Appendf(nil, "%s%s/%016x/", recordsPrefix, account, hourOf(to))
}

// DayKey returns the key of the day record of (account, region, queue,
// day); day is truncated to its UTC day.
func DayKey(account, region, queue string, day time.Time) []byte {
	return fmt.Appendf(nil, "%s%s/%016x/%s/%s", daysPrefix, account, dayOf(day), region, queue)
}

// DaysPrefix is the prefix of every day record.
func DaysPrefix() []byte { return []byte(daysPrefix) }

// accountDayRange is the key range of account's day records of days that
// start in [from, to).
func accountDayRange(account string, from, to time.Time) (start, end []byte) {
	return fmt.Appendf(nil, "%s%s/%016x/", daysPrefix, account, from.Unix()),
		fmt.Appendf(nil, "%s%s/%016x/", daysPrefix, account, to.Unix())
}

// ParseDayKey parses a day record's key; the ref's Hour is the day's
// start and its Incarnation is empty.
func ParseDayKey(k []byte) (RecordRef, bool) {
	rest, ok := strings.CutPrefix(string(k), daysPrefix)
	if !ok {
		return RecordRef{}, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 4 || len(parts[1]) != 16 {
		return RecordRef{}, false
	}
	d, err := strconv.ParseInt(parts[1], 16, 64)
	if err != nil || d%86400 != 0 {
		return RecordRef{}, false
	}
	return RecordRef{Account: parts[0], Hour: time.Unix(d, 0).UTC(), Region: parts[2], Queue: parts[3], Day: true}, true
}

func dayOf(t time.Time) int64 {
	s := t.Unix()
	return s - ((s%86400)+86400)%86400
}

func hourOf(t time.Time) int64 {
	s := t.Unix()
	return s - ((s%3600)+3600)%3600
}

// RecordRef is what a record's key names.
type RecordRef struct {
	Account, Region, Queue string
	Hour                   time.Time
	Incarnation            string
	// Day marks a day record: Hour is the day's start and the counts are
	// the whole UTC day's.
	Day bool
}

// ParseRecordKey parses a record's key.
func ParseRecordKey(k []byte) (RecordRef, bool) {
	rest, ok := strings.CutPrefix(string(k), recordsPrefix)
	if !ok {
		return RecordRef{}, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 5 || len(parts[1]) != 16 || len(parts[4]) != incarnationLen {
		return RecordRef{}, false
	}
	h, err := strconv.ParseInt(parts[1], 16, 64)
	if err != nil {
		return RecordRef{}, false
	}
	return RecordRef{Account: parts[0], Hour: time.Unix(h, 0).UTC(), Region: parts[2], Queue: parts[3], Incarnation: parts[4]}, true
}

// Queue types, action classes and tiers as counter indexes.
const (
	TypeStandard = iota
	TypeFIFO
	types
)

const (
	ClassSend = iota
	ClassReceive
	ClassDelete
	ClassAdmin
	classes
)

const (
	TierHot = iota
	TierCold
	tiers
)

var (
	typeNames  = [types]string{Standard, FIFO}
	classNames = [classes]string{Send, Receive, Delete, Admin}
	tierNames  = [tiers]string{Hot, Cold}
)

// Counters are one record's counts: raw, so sampled amounts are minutes
// (readers turn them into hours after summing a span).
type Counters struct {
	Requests        [types][classes]int64 `json:"requests"`
	Throttled       [types]int64          `json:"throttled"`
	Unauthenticated int64                 `json:"unauthenticated"`
	IngressBytes    int64                 `json:"ingressBytes"`
	EgressBytes     int64                 `json:"egressBytes"`
	// StorageByteMinutes are bytes stored × minutes sampled, by tier.
	StorageByteMinutes [tiers]int64 `json:"storageByteMinutes"`
	// QueueMinutes are minutes the queue was sampled existing.
	QueueMinutes int64 `json:"queueMinutes"`
}

// Add adds o to c.
func (c *Counters) Add(o *Counters) {
	for t := range types {
		for k := range classes {
			c.Requests[t][k] += o.Requests[t][k]
		}
		c.Throttled[t] += o.Throttled[t]
	}
	c.Unauthenticated += o.Unauthenticated
	c.IngressBytes += o.IngressBytes
	c.EgressBytes += o.EgressBytes
	for t := range tiers {
		c.StorageByteMinutes[t] += o.StorageByteMinutes[t]
	}
	c.QueueMinutes += o.QueueMinutes
}

// Record is a usage record's value.
type Record struct {
	// Version is the format, 1.
	Version int `json:"v"`
	// Written is when the record was last written (ingestion time, Unix
	// ms): retention goes by it, never by the hour it counts. A day
	// record's is the latest of the raw records it holds.
	Written int64 `json:"written"`
	Counters
}

// RecordVersion is the format written.
const RecordVersion = 1

// EncodeRecord returns the value of a record of c written at now.
func EncodeRecord(c *Counters, now time.Time) []byte {
	b, err := json.Marshal(Record{Version: RecordVersion, Written: now.UnixMilli(), Counters: *c})
	if err != nil {
		panic(err) // fixed-shape struct
	}
	return b
}

// DecodeRecord parses a record's value.
func DecodeRecord(v []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("usage record: %w", err)
	}
	if r.Version != RecordVersion {
		return nil, fmt.Errorf("usage record: unknown version %d", r.Version)
	}
	return &r, nil
}

// Quantities turns summed counters into quantities with region and queue
// as their dimensions; zero amounts are left out.
func (c *Counters) Quantities(region, queue string) []Quantity {
	var qs []Quantity
	add := func(q Quantity) {
		if q.Amount != 0 {
			q.Region, q.Queue = region, queue
			qs = append(qs, q)
		}
	}
	for t := range types {
		for k := range classes {
			add(Quantity{Meter: Requests, QueueType: typeNames[t], Class: classNames[k], Amount: c.Requests[t][k]})
		}
	}
	for t := range types {
		add(Quantity{Meter: ThrottledRequests, QueueType: typeNames[t], Amount: c.Throttled[t]})
	}
	add(Quantity{Meter: UnauthenticatedRequests, Amount: c.Unauthenticated})
	add(Quantity{Meter: IngressBytes, Amount: c.IngressBytes})
	add(Quantity{Meter: EgressBytes, Amount: c.EgressBytes})
	for t := range tiers {
		add(Quantity{Meter: StorageByteHours, Tier: tierNames[t], Amount: c.StorageByteMinutes[t] / 60})
	}
	add(Quantity{Meter: QueueHours, Amount: c.QueueMinutes / 60})
	return qs
}

// Unit is the unit of a meter's quantities.
func Unit(m Meter) string {
	switch m {
	case Requests:
		return "request_units"
	case ThrottledRequests, UnauthenticatedRequests:
		return "calls"
	case IngressBytes, EgressBytes:
		return "bytes"
	case StorageByteHours:
		return "byte_hours"
	case QueueHours:
		return "queue_hours"
	}
	return ""
}
