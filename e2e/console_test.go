package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/chromedp/chromedp"

	"github.com/sluice-mq/sluice/e2e/internal/sluiceproc"
	"github.com/sluice-mq/sluice/e2e/internal/testenv"
	"github.com/sluice-mq/sluice/sdk/queue"
)

// screenshotsEnv names a directory to write the console's screenshots to
// (docs/ holds the README's): unset, the journey takes none.
const screenshotsEnv = "SLUICE_CONSOLE_SCREENSHOTS"

// browser starts a headless Chromium from the system's packages (Debian's
// chromium; .ci/deps installs it), failing the test without one unless
// missing dependencies may skip (testenv).
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-headless-shell", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		testenv.Missing(t, "chromium", "`sudo apt-get install chromium`")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// TestConsoleJourney drives the console in a real browser against `sluice
// dev`: sign in with the printed link, create a queue and its dead-letter
// queue, send, poll and see the body, let the message move to the
// dead-letter queue, redrive it back, and watch the counts change.
func TestConsoleJourney(t *testing.T) {
	ctx := browser(t)
	p := sluiceproc.StartDev(t, "--data", t.TempDir())
	if p.ConsoleLink == "" {
		t.Fatal("sluice dev printed no console link")
	}
	queues := p.Endpoint + "/console/a/" + p.AccountID + "/queues"
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		defer func(start time.Time) { t.Logf("%s: %v", what, time.Since(start).Round(time.Millisecond)) }(time.Now())
		if err := chromedp.Do(ctx, actions...); err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
			t.Fatalf("%s: %v\npage:\n%.3000s\nserver log:\n%.3000s", what, err, html, p.Stderr())
		}
	}
	createQueue := func(name string) {
		t.Helper()
		run("create "+name,
			chromedp.Navigate(queues+"/new"),
			chromedp.SendKeys(chromedp.CSS("#name"), name),
			chromedp.Submit(chromedp.CSS("#name")),
			chromedp.WaitVisible(chromedp.CSS("#send")),
		)
	}
	// The link signs in the operator; the operator's home is the tenants.
	run("sign in with the link", chromedp.Navigate(p.ConsoleLink), chromedp.WaitVisible(chromedp.CSS("#tenants")))

	createQueue("orders-dlq")
	createQueue("orders")
	run("set the redrive policy",
		chromedp.Navigate(queues+"/orders"),
		chromedp.SetValue(chromedp.CSS("#target"), "orders-dlq"),
		chromedp.SetValue(chromedp.CSS("#maxReceiveCount"), "1"),
		chromedp.Submit(chromedp.CSS("#target")),
		flash("Saved."),
	)
	const body = `hello from the <b>console</b>`
	orders := queues + "/orders"
	run("send",
		chromedp.Navigate(orders),
		chromedp.SendKeys(chromedp.CSS("#body"), body),
		chromedp.SendKeys(chromedp.CSS(`input[name="attr-name-0"]`), "color"),
		chromedp.SendKeys(chromedp.CSS(`input[name="attr-value-0"]`), "blue"),
		chromedp.Submit(chromedp.CSS("#body")),
		flash("Message sent."),
	)
	run("poll",
		chromedp.Navigate(orders),
		chromedp.SetValue(chromedp.CSS("#visibility"), "1"),
		chromedp.SetValue(chromedp.CSS("#wait"), "2"),
		chromedp.Submit(chromedp.CSS("#visibility")),
		chromedp.WaitVisible(chromedp.CSS("pre.body")),
	)
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("pre.body")))
	if err != nil {
		t.Fatal(err)
	}
	if got != body {
		t.Fatalf("polled body %q, want %q", got, body)
	}
	// Received once with maxReceiveCount 1: the next receive, once the
	// visibility timeout ends, moves it to the dead-letter queue.
	time.Sleep(1500 * time.Millisecond)
	run("poll again", chromedp.Navigate(orders), chromedp.Submit(chromedp.CSS("#visibility")), chromedp.WaitVisible(chromedp.CSS("#poll-result")))

	// The list refreshes itself: the DLQ's count becomes 1.
	run("see the message in the dead-letter queue",
		chromedp.Navigate(queues),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-queue="orders-dlq"] td[data-count="visible"]`)),
	)
	waitCount(t, ctx, "orders-dlq", "1")
	waitCount(t, ctx, "orders", "0")
	shoot(t, ctx, "console-queues.png")

	run("open the dead-letter queue", chromedp.Navigate(queues+"/orders-dlq"), chromedp.WaitVisible(chromedp.CSS("#redrive")))
	shoot(t, ctx, "console-queue.png")
	run("start the redrive",
		chromedp.Navigate(queues+"/orders-dlq"),
		chromedp.Submit(chromedp.CSS(`#redrive form`)),
		flash("Move task started."),
		// The task table refreshes itself until the task completes.
		chromedp.WaitVisible(chromedp.CSS(`#moves tr[data-status="COMPLETED"]`)),
	)
	moved, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#moves tr[data-status="COMPLETED"] td[data-moved]`)))
	if err != nil {
		t.Fatal(err)
	}
	if moved != "1" {
		t.Errorf("the move task moved %q messages, want 1", moved)
	}
	run("back to the list", chromedp.Navigate(queues), chromedp.WaitVisible(chromedp.CSS(`tr[data-queue="orders"]`)))
	waitCount(t, ctx, "orders", "1")
	waitCount(t, ctx, "orders-dlq", "0")
	// A message sent elsewhere shows up without a reload: the rows
	// refresh themselves.
	sqsc := sqsClient(p, p.SecretKey)
	if _, err := sqsc.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String("orders"), MessageBody: aws.String("from the SDK")}); err != nil {
		t.Fatal(err)
	}
	waitCount(t, ctx, "orders", "2")
	if refreshed, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#queue-rows"), "data-refreshed")); err != nil || !refreshed.Exists {
		t.Errorf("the rows were not refreshed in place (data-refreshed %+v, %v)", refreshed, err)
	}
	// An undecided half message shows in its own column until committed.
	_, txID, err := queue.SendHalfMessage(context.Background(), sqsc, "orders", queue.Message{Body: "in a transaction"})
	if err != nil {
		t.Fatal(err)
	}
	waitCell(t, ctx, "orders", "half", "1")
	if err := queue.EndTransaction(context.Background(), sqsc, "orders", txID, true); err != nil {
		t.Fatal(err)
	}
	waitCell(t, ctx, "orders", "half", "0")
	waitCount(t, ctx, "orders", "3")

	// The calls above were metered: today's request units show on the
	// usage chart (meters flush every 2 s), next to this month's draft
	// invoice.
	usage := p.Endpoint + "/console/a/" + p.AccountID + "/usage"
	deadline := time.Now().Add(30 * time.Second)
	for {
		run("open usage", chromedp.Navigate(usage), chromedp.WaitVisible(chromedp.CSS("svg.chart")))
		bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelector("svg.chart").querySelectorAll("rect.bar")].filter(r => parseFloat(r.getAttribute("height")) > 0).length`))
		if err != nil {
			t.Fatal(err)
		}
		if bars > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the usage chart shows no request units")
		}
		time.Sleep(time.Second)
	}
	run("see the draft invoice", chromedp.WaitVisible(`//table[@id="invoices"]//td[text()="draft"]`))

	// Sign out: the console asks to sign in again.
	run("sign out",
		chromedp.Click(chromedp.CSS(`header form button`)),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.Navigate(queues),
		chromedp.WaitVisible(chromedp.CSS("#token")),
	)
	// Pasting the operator token signs in too.
	run("sign in with the token",
		chromedp.SendKeys(chromedp.CSS("#token"), p.OperatorToken),
		chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS("#tenants")),
	)
}

// flash waits for the message a page shows after a successful post.
func flash(text string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(fmt.Sprintf(`//div[@class="flash"][contains(., %q)]`, text))
}

// waitCount waits, without reloading, for the queue list's self-refreshing
// row of queue to show want visible messages.
func waitCount(t *testing.T, ctx context.Context, queue, want string) {
	t.Helper()
	waitCell(t, ctx, queue, "visible", want)
}

// waitCell waits, without reloading, for the data-count=column cell of
// queue's row to start with the figure want (the half column goes on
// with the oldest's age).
func waitCell(t *testing.T, ctx context.Context, queue, column, want string) {
	t.Helper()
	defer func(start time.Time) {
		t.Logf("%s shows %s %s: %v", queue, want, column, time.Since(start).Round(time.Millisecond))
	}(time.Now())
	sel := fmt.Sprintf(`tr[data-queue=%q] td[data-count=%q]`, queue, column)
	deadline := time.Now().Add(30 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		var err error
		if got, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel))); err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		if f := strings.Fields(got); len(f) > 0 && f[0] == want {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("queue %s shows %q %s, want %s", queue, got, column, want)
}

// shoot saves a screenshot of the page when screenshotsEnv names a
// directory.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
