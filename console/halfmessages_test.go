package console_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/console"
	"github.com/sluice-mq/sluice/control-plane/jwtauth"
	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/data-plane/queues"
)

var (
	halfCellRE  = regexp.MustCompile(`data-count="half">([^<]*)<`)
	halfFigRE   = regexp.MustCompile(`id="count-half">([^<]*)<`)
	halfRowIDRE = regexp.MustCompile(`data-transaction="([^"]+)"`)
)

func TestHalfMessagesShownUntilDecided(t *testing.T) {
	f := newFixture(t)
	op := f.as(t, jwtauth.RoleOperator, "")
	setupQueues(t, op)
	ref := queues.Ref{Account: accountA, Region: region, Name: "orders"}
	var txs []string
	for _, body := range []string{"first", "second"} {
		h, err := f.engine.SendHalfMessage(context.Background(), ref, engine.SendInput{Body: body})
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, h.TransactionID)
	}
	a := "/console/a/" + accountA + "/queues"
	list := func() string {
		t.Helper()
		body, resp := op.get(a + "/rows")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("rows: %d", resp.StatusCode)
		}
		// The rows are orders, then orders-dlq.
		m := halfCellRE.FindAllStringSubmatch(body, -1)
		if len(m) != 2 || !strings.Contains(body[:strings.Index(body, "orders-dlq")], m[0][0]) {
			t.Fatalf("rows: want a half cell per queue:\n%s", body)
		}
		if strings.TrimSpace(m[1][1]) != "0" {
			t.Errorf("orders-dlq half cell %q, want 0", m[1][1])
		}
		return strings.TrimSpace(m[0][1])
	}
	page := func() (string, []string) {
		t.Helper()
		body, resp := op.get(a + "/orders")
		m := halfFigRE.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("queue page: %d, no half figure:\n%.3000s", resp.StatusCode, body)
		}
		var ids []string
		for _, r := range halfRowIDRE.FindAllStringSubmatch(body, -1) {
			ids = append(ids, r[1])
		}
		return m[1], ids
	}

	if got := list(); !strings.HasPrefix(got, "2") {
		t.Errorf("list half cell %q, want 2", got)
	}
	fig, ids := page()
	if !strings.HasPrefix(fig, "2") || len(ids) != 2 || ids[0] != txs[0] || ids[1] != txs[1] {
		t.Errorf("page: figure %q, listed %v, want 2 and %v", fig, ids, txs)
	}

	if err := f.engine.EndTransaction(context.Background(), ref, txs[0], engine.Commit); err != nil {
		t.Fatal(err)
	}
	if got := list(); !strings.HasPrefix(got, "1") {
		t.Errorf("after commit: list half cell %q, want 1", got)
	}
	if fig, ids := page(); !strings.HasPrefix(fig, "1") || len(ids) != 1 || ids[0] != txs[1] {
		t.Errorf("after commit: figure %q, listed %v, want 1 and [%s]", fig, ids, txs[1])
	}

	if err := f.engine.EndTransaction(context.Background(), ref, txs[1], engine.Rollback); err != nil {
		t.Fatal(err)
	}
	if got := list(); got != "0" {
		t.Errorf("after rollback: list half cell %q, want 0", got)
	}
	body, _ := op.get(a + "/orders")
	if strings.Contains(body, `id="half-messages"`) {
		t.Errorf("after rollback: the page still lists half messages")
	}
}

func TestHalfMessagesWithoutGauges(t *testing.T) {
	f := newFixtureWith(t, func(o *console.Options) { o.Gauges = nil })
	op := f.as(t, jwtauth.RoleOperator, "")
	setupQueues(t, op)
	ref := queues.Ref{Account: accountA, Region: region, Name: "orders"}
	if _, err := f.engine.SendHalfMessage(context.Background(), ref, engine.SendInput{Body: "x"}); err != nil {
		t.Fatal(err)
	}
	body, _ := op.get("/console/a/" + accountA + "/queues/rows")
	if m := halfCellRE.FindStringSubmatch(body); m == nil || m[1] != "—" {
		t.Errorf("rows without gauges: half cell %v, want —", m)
	}
	body, resp := op.get("/console/a/" + accountA + "/queues/orders")
	if resp.StatusCode != http.StatusOK || strings.Contains(body, `id="count-half"`) {
		t.Errorf("page without gauges: %d, shows a half figure", resp.StatusCode)
	}
}
