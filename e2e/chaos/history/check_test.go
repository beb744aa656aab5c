package history

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

const ms = time.Millisecond

// h builds hand-made histories.
type h []Op

func (x h) send(client string, inv, done time.Duration, msgs ...Msg) h {
	return append(x, Op{Index: len(x), Client: client, Kind: Send, Queue: "q", Invoke: inv, Complete: done, Msgs: msgs})
}

func (x h) recv(inv, done, vis time.Duration, msgs ...Msg) h {
	for i := range msgs {
		msgs[i].Outcome = OK
		if msgs[i].Receipt == "" {
			msgs[i].Receipt = msgs[i].Token + "@" + (inv + done).String()
		}
	}
	return append(x, Op{Index: len(x), Client: "c", Kind: Receive, Queue: "q", Invoke: inv, Complete: done, Visibility: vis, Msgs: msgs})
}

func (x h) add(op Op) h { op.Index = len(x); return append(x, op) }

func (x h) del(inv, done time.Duration, out Outcome, receipt string) h {
	return append(x, Op{Index: len(x), Client: "c", Kind: Delete, Queue: "q", Invoke: inv, Complete: done,
		Msgs: []Msg{{Token: strings.Split(receipt, "@")[0], Receipt: receipt, Outcome: out}}})
}

func ok(tok string) Msg               { return Msg{Token: tok, Outcome: OK} }
func unknown(tok string) Msg          { return Msg{Token: tok, Outcome: Unknown} }
func failed(tok string) Msg           { return Msg{Token: tok, Outcome: Failed} }
func okIn(tok, group string) Msg      { return Msg{Token: tok, Group: group, Outcome: OK} }
func unknownIn(tok, group string) Msg { return Msg{Token: tok, Group: group, Outcome: Unknown} }
func got(tok string) Msg              { return Msg{Token: tok} }
func gotR(tok, receipt string) Msg    { return Msg{Token: tok, Receipt: receipt} }

func TestCheck(t *testing.T) {
	vis := 1000 * ms
	cases := []struct {
		name string
		ops  h
		want map[string]int // anomaly kind -> count; nil: legal
	}{
		{"sent, received, deleted", h{}.
			send("p", 0, 10*ms, ok("a"), ok("b")).
			recv(20*ms, 30*ms, vis, gotR("a", "ra"), gotR("b", "rb")).
			del(40*ms, 50*ms, OK, "ra").del(40*ms, 50*ms, OK, "rb"), nil},
		{"unknown send delivered", h{}.
			send("p", 0, 10*ms, unknown("a")).recv(20*ms, 30*ms, vis, got("a")), nil},
		{"unknown send never delivered", h{}.
			send("p", 0, 10*ms, unknown("a")), nil},
		{"redelivery after the visibility timeout", h{}.
			send("p", 0, 10*ms, ok("a")).
			recv(20*ms, 30*ms, vis, got("a")).
			recv(1025*ms, 1040*ms, vis, got("a")), nil},
		{"redelivery that may have followed the deadline (receives overlap it)", h{}.
			send("p", 0, 10*ms, ok("a")).
			recv(20*ms, 500*ms, vis, got("a")).
			recv(900*ms, 1100*ms, vis, got("a")), nil},
		{"delete of an expired receipt, then redelivery", h{}.
			send("p", 0, 10*ms, ok("a")).
			recv(20*ms, 30*ms, vis, gotR("a", "a@1")).
			del(1010*ms, 1030*ms, OK, "a@1").
			recv(1100*ms, 1110*ms, vis, got("a")), nil},
		{"unknown delete, then redelivery after the timeout", h{}.
			send("p", 0, 10*ms, ok("a")).
			recv(20*ms, 30*ms, vis, gotR("a", "a@1")).
			del(40*ms, 50*ms, Unknown, "a@1").
			recv(1100*ms, 1110*ms, vis, got("a")), nil},
		{"failed batch entry not delivered", h{}.
			send("p", 0, 10*ms, ok("a"), failed("b")).recv(20*ms, 30*ms, vis, got("a")), nil},
		{"fifo in order, with redelivery", h{}.
			send("p", 0, 10*ms, okIn("a", "g"), okIn("b", "g")).
			send("p", 20*ms, 30*ms, okIn("c", "g")).
			recv(40*ms, 50*ms, vis, got("a")).
			recv(1100*ms, 1110*ms, vis, got("a"), got("b")).
			recv(1200*ms, 1210*ms, vis, got("c")), nil},
		{"fifo: concurrent sends order nothing", h{}.
			send("p", 0, 30*ms, okIn("a", "g")).
			send("q", 10*ms, 20*ms, okIn("b", "g")).
			recv(40*ms, 50*ms, vis, got("b")).
			recv(60*ms, 70*ms, vis, got("a")), nil},
		{"fifo: an unknown send orders nothing", h{}.
			send("p", 0, 10*ms, unknownIn("a", "g")).
			send("p", 20*ms, 30*ms, okIn("b", "g")).
			recv(40*ms, 50*ms, vis, got("b")).
			recv(60*ms, 70*ms, vis, got("a")), nil},
		{"fifo: a batch's groups are apart", h{}.
			send("p", 0, 10*ms, okIn("a", "g1"), okIn("b", "g2")).
			recv(40*ms, 50*ms, vis, got("b")).
			recv(60*ms, 70*ms, vis, got("a")), nil},
		{"fifo: other groups interleave freely", h{}.
			send("p", 0, 10*ms, okIn("a", "g1")).
			send("p", 20*ms, 30*ms, okIn("b", "g2")).
			recv(40*ms, 50*ms, vis, got("b"), got("a")), nil},

		{"lost", h{}.
			send("p", 0, 10*ms, ok("a"), ok("b")).recv(20*ms, 30*ms, vis, got("a")),
			map[string]int{Lost: 1}},
		{"phantom: never sent", h{}.
			recv(20*ms, 30*ms, vis, got("z")), map[string]int{Phantom: 1}},
		{"phantom: send failed", h{}.
			send("p", 0, 10*ms, failed("a")).recv(20*ms, 30*ms, vis, got("a")), map[string]int{Phantom: 1}},
		{"double delivery inside visibility", h{}.
			send("p", 0, 10*ms, ok("a")).
			recv(20*ms, 30*ms, vis, got("a")).
			recv(900*ms, 1000*ms, vis, got("a")),
			map[string]int{DoubleDelivery: 1}},
		{"double delivery by overlapping receives", h{}.
			send("p", 0, 10*ms, ok("a")).
			recv(20*ms, 60*ms, vis, got("a")).
			recv(30*ms, 50*ms, vis, got("a")),
			map[string]int{DoubleDelivery: 1}},
		{"double delivery across a fault, quoted", h{}.
			send("p", 0, 10*ms, ok("a")).
			recv(20*ms, 30*ms, vis, gotR("a", "r1")).
			add(Op{Kind: Fault, Client: "nemesis", Invoke: 40 * ms, Complete: 300 * ms, Err: "kill"}).
			recv(400*ms, 410*ms, vis, gotR("a", "r1")),
			map[string]int{DoubleDelivery: 1}},
		{"twice in one reply", h{}.
			send("p", 0, 10*ms, ok("a")).
			recv(20*ms, 30*ms, vis, gotR("a", "r1"), gotR("a", "r2")),
			map[string]int{DoubleDelivery: 1}},
		{"delivered after an acknowledged delete", h{}.
			send("p", 0, 10*ms, ok("a")).
			recv(20*ms, 30*ms, vis, gotR("a", "a@1")).
			del(40*ms, 50*ms, OK, "a@1").
			recv(5000*ms, 5010*ms, vis, got("a")),
			map[string]int{DeletedDelivered: 1}},
		{"corrupt body", h{}.
			send("p", 0, 10*ms, ok("a")).
			recv(20*ms, 30*ms, vis, Msg{Token: "a", Corrupt: true}),
			map[string]int{Corrupt: 1}},
		{"fifo: delivered ahead of an earlier send", h{}.
			send("p", 0, 10*ms, okIn("a", "g")).
			send("p", 20*ms, 30*ms, okIn("b", "g")).
			recv(40*ms, 50*ms, vis, got("b")).
			recv(60*ms, 70*ms, vis, got("a")),
			map[string]int{OrderViolation: 1}},
		{"fifo: batch entries out of order in one reply", h{}.
			send("p", 0, 10*ms, okIn("a", "g"), okIn("b", "g")).
			recv(40*ms, 50*ms, vis, got("b"), got("a")),
			map[string]int{OrderViolation: 1}},
		{"fifo: later batch entry delivered first", h{}.
			send("p", 0, 10*ms, okIn("a", "g"), okIn("b", "g"), okIn("c", "g")).
			recv(40*ms, 50*ms, vis, got("c")).
			recv(60*ms, 70*ms, vis, got("a"), got("b")),
			map[string]int{OrderViolation: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Checker{Slack: DefaultSlack}.Check(tc.ops)
			got := map[string]int{}
			for _, a := range r.Anomalies {
				got[a.Kind]++
			}
			if len(got) != len(tc.want) {
				t.Fatalf("anomalies %v, want %v:\n%s", got, tc.want, dump(r))
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Fatalf("anomalies %v, want %v:\n%s", got, tc.want, dump(r))
				}
			}
			for _, a := range r.Anomalies {
				if a.Kind == DoubleDelivery && strings.Contains(tc.name, "quoted") &&
					(a.Ops[len(a.Ops)-1].Kind != Fault || !strings.Contains(a.String(), "same receipt handle")) {
					t.Fatalf("fault or receipt not quoted: %s", a)
				}
			}
			if r.Counts[Lost]+r.Counts[DoubleDelivery] != got[Lost]+got[DoubleDelivery] {
				t.Fatalf("counts %v disagree with anomalies %v", r.Counts, got)
			}
		})
	}
}

// A double delivery across a kill is allowed on a queue with lazy claims
// only when the fault came soon after the first receive and before the
// second; anywhere else, and on other queues, it is still an anomaly.
func TestCrashRedelivery(t *testing.T) {
	vis := 5000 * ms
	lazy := Checker{Slack: DefaultSlack, LazyClaims: func(q string) bool { return q == "q" }}
	kill := func(at time.Duration) Op {
		return Op{Kind: Fault, Client: "nemesis", Invoke: at, Complete: at + 200*ms, Err: "kill"}
	}
	across := h{}.send("p", 0, 10*ms, ok("a")).
		recv(20*ms, 30*ms, vis, gotR("a", "r1")).
		add(kill(40*ms)).
		recv(400*ms, 410*ms, vis, gotR("a", "r1"))
	if r := lazy.Check(across); !r.OK() || r.Counts[CrashRedelivery] != 1 {
		t.Fatalf("lazy claims across a kill: %s", dump(r))
	}
	if r := (Checker{Slack: DefaultSlack}).Check(across); r.Counts[DoubleDelivery] != 1 {
		t.Fatalf("durable claims across a kill must be a double delivery: %s", dump(r))
	}
	if r := (Checker{Slack: DefaultSlack, LazyClaims: func(string) bool { return false }}).Check(across); r.Counts[DoubleDelivery] != 1 {
		t.Fatalf("a queue without lazy claims: %s", dump(r))
	}
	late := h{}.send("p", 0, 10*ms, ok("a")).
		recv(20*ms, 30*ms, vis, gotR("a", "r1")).
		add(kill(2000*ms)).
		recv(2400*ms, 2410*ms, vis, gotR("a", "r1"))
	if r := lazy.Check(late); r.Counts[DoubleDelivery] != 1 {
		t.Fatalf("a kill long after the claim cannot excuse it: %s", dump(r))
	}
	noFault := h{}.send("p", 0, 10*ms, ok("a")).
		recv(20*ms, 30*ms, vis, got("a")).
		recv(400*ms, 410*ms, vis, got("a"))
	if r := lazy.Check(noFault); r.Counts[DoubleDelivery] != 1 {
		t.Fatalf("no fault, lazy claims: %s", dump(r))
	}
}

// A delivery after an acknowledged delete is allowed on a queue with lazy
// deletes only when a fault came soon after the delete and before the
// delivery; a durable delete, or a fault long after it, cannot excuse it.
func TestCrashUndoesLazyDelete(t *testing.T) {
	vis := 5000 * ms
	lazy := Checker{Slack: DefaultSlack, LazyClaims: func(q string) bool { return q == "q" }}
	kill := func(at time.Duration) Op {
		return Op{Kind: Fault, Client: "nemesis", Invoke: at, Complete: at + 200*ms, Err: "kill"}
	}
	deletedThenKilled := func(killAt time.Duration) h {
		return h{}.send("p", 0, 10*ms, ok("a")).
			recv(20*ms, 30*ms, vis, gotR("a", "a@1")).
			del(40*ms, 50*ms, OK, "a@1").
			add(kill(killAt)).
			recv(killAt+400*ms, killAt+410*ms, vis, gotR("a", "a@2"))
	}
	if r := lazy.Check(deletedThenKilled(60 * ms)); !r.OK() || r.Counts[CrashRedelivery] != 1 {
		t.Fatalf("a lazy delete lost in a kill: %s", dump(r))
	}
	if r := (Checker{Slack: DefaultSlack}).Check(deletedThenKilled(60 * ms)); r.Counts[DeletedDelivered] != 1 {
		t.Fatalf("a durable delete across a kill: %s", dump(r))
	}
	if r := lazy.Check(deletedThenKilled(2000 * ms)); r.Counts[DeletedDelivered] != 1 {
		t.Fatalf("a kill long after the delete cannot excuse it: %s", dump(r))
	}
}

func dump(r Report) string {
	var b strings.Builder
	b.WriteString(r.Summary())
	for _, a := range r.Anomalies {
		b.WriteString("\n  " + a.String())
	}
	return b.String()
}

// Slack makes the checker give the server the benefit of clock doubt: a
// redelivery 5 ms inside the window is not reported with 10 ms slack.
func TestSlack(t *testing.T) {
	ops := h{}.send("p", 0, 10*ms, ok("a")).
		recv(20*ms, 30*ms, time.Second, got("a")).
		recv(1000*ms, 1015*ms, time.Second, got("a"))
	if r := (Checker{Slack: DefaultSlack}).Check(ops); !r.OK() {
		t.Fatalf("with slack: %s", dump(r))
	}
	if r := (Checker{}).Check(ops); r.Counts[DoubleDelivery] != 1 {
		t.Fatalf("without slack: %s", dump(r))
	}
}

// TestCheckFile checks a recorded history named by $SLUICE_CHAOS_CHECK
// (JSON lines, as e2e/chaos writes them) and prints its anomalies.
func TestCheckFile(t *testing.T) {
	path := os.Getenv("SLUICE_CHAOS_CHECK")
	if path == "" {
		t.Skip("SLUICE_CHAOS_CHECK names no history file")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ops, err := ReadJSONLines(f)
	if err != nil {
		t.Fatal(err)
	}
	r := Checker{Slack: DefaultSlack}.Check(ops)
	t.Log(r.Summary())
	for i, a := range r.Anomalies {
		if i == 500 {
			t.Errorf("… and %d more", len(r.Anomalies)-i)
			break
		}
		t.Errorf("%s", a)
	}
}

func TestRecorderConcurrent(t *testing.T) {
	r := NewRecorder()
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			for i := range 100 {
				inv := r.Now()
				r.Add(Op{Client: string(rune('a' + c)), Kind: Send, Invoke: inv, Complete: r.Now(),
					Msgs: []Msg{{Token: string(rune('a'+c)) + "-" + string(rune(i)), Outcome: OK}}})
			}
		})
	}
	wg.Wait()
	ops := r.Ops()
	if len(ops) != 800 {
		t.Fatalf("%d ops", len(ops))
	}
	for i, op := range ops {
		if op.Index != i || op.Complete < op.Invoke {
			t.Fatalf("op %d: %+v", i, op)
		}
	}
	if i := r.Add(Op{Invoke: 5, Complete: 3}); r.Ops()[i].Complete != 5 {
		t.Fatal("complete before invoke kept")
	}
}
