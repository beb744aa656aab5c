package sqsapi_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/data-plane/sqsapi"
	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

// As serves unsigned requests as its principal, in that principal's
// account only, and leaves the handler it came from as strict as before.
func TestAsServesAsThePrincipal(t *testing.T) {
	h, _ := newHandler(t, kvtest.OpenLocal(t))
	post := func(h http.Handler, params url.Values) *httptest.ResponseRecorder {
		params.Set("Version", "2012-11-05")
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(params.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	asA := h.As(sqsapi.Principal{AccountID: accountA, Region: region})
	if rec := post(asA, url.Values{"Action": {"CreateQueue"}, "QueueName": {"q"}}); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "/"+accountA+"/q<") {
		t.Fatalf("CreateQueue as A: %d %s", rec.Code, rec.Body)
	}
	// The same request, unsigned, to the handler itself is refused.
	if rec := post(h, url.Values{"Action": {"ListQueues"}}); rec.Code == http.StatusOK {
		t.Fatalf("the handler served an unsigned request: %s", rec.Body)
	}
	// As B, A's queue does not exist.
	asB := h.As(sqsapi.Principal{AccountID: accountB, Region: region})
	if rec := post(asB, url.Values{"Action": {"GetQueueUrl"}, "QueueName": {"q"}}); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "NonExistentQueue") {
		t.Fatalf("GetQueueUrl of A's queue as B: %d %s", rec.Code, rec.Body)
	}
	if rec := post(asB, url.Values{"Action": {"SendMessage"}, "QueueUrl": {"http://x/" + accountA + "/q"}, "MessageBody": {"x"}}); rec.Code != http.StatusBadRequest {
		t.Fatalf("SendMessage to A's queue as B: %d %s", rec.Code, rec.Body)
	}
}
