package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/sluice-mq/sluice/sdk/client"
)

func TestErrorMatchesSentinelsByStatus(t *testing.T) {
	tests := []struct {
		status int
		want   error
	}{
		{404, client.ErrNotFound},
		{409, client.ErrConflict},
		{429, client.ErrThrottled},
		{401, client.ErrUnauthorized},
		{403, client.ErrForbidden},
		{503, client.ErrUnavailable},
	}
	all := []error{client.ErrNotFound, client.ErrConflict, client.ErrThrottled, client.ErrUnauthorized, client.ErrForbidden, client.ErrUnavailable}
	for _, tt := range tests {
		err := fmt.Errorf("wrapped: %w", &client.Error{StatusCode: tt.status, Message: "m"})
		for _, s := range all {
			if got := errors.Is(err, s); got != (s == tt.want) {
				t.Errorf("HTTP %d: errors.Is(err, %v) = %v", tt.status, s, got)
			}
		}
	}
	if err := (&client.Error{StatusCode: 500}); errors.Is(err, client.ErrNotFound) || client.IsThrottled(err) {
		t.Error("a 500 matches a sentinel")
	}
}

func TestQueueErrorsCarrySQSCodes(t *testing.T) {
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, `{"error":{"code":"QueueAlreadyExists","message":"A queue already exists with the same name and a different value for attribute VisibilityTimeout."}}`)
	})
	_, err := c.GetQueue(context.Background(), "123456789012", "orders")
	if !client.IsConflict(err) || client.IsNotFound(err) {
		t.Fatalf("IsConflict(%v) = false", err)
	}
	var e *client.Error
	if !errors.As(err, &e) || e.Code != "QueueAlreadyExists" || e.StatusCode != 409 {
		t.Fatalf("error = %#v", e)
	}
}

func TestIsHelpers(t *testing.T) {
	nf := &client.Error{StatusCode: 404}
	if !client.IsNotFound(nf) || client.IsConflict(nf) || client.IsThrottled(nf) {
		t.Error("404 helpers")
	}
	if !client.IsThrottled(&client.Error{StatusCode: 429}) || !client.IsConflict(&client.Error{StatusCode: 409}) {
		t.Error("429/409 helpers")
	}
	if client.IsNotFound(errors.New("404")) || client.IsNotFound(nil) {
		t.Error("plain errors are not Errors")
	}
}

// asError is errors.As for *client.Error.
func asError(err error, target **client.Error) bool { return errors.As(err, target) }
