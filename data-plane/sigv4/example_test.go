package sigv4_test

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/sluice-mq/sluice/data-plane/sigv4"
)

type keys map[string]string

func (k keys) SecretFor(_ context.Context, id string) (string, error) {
	if secret, ok := k[id]; ok {
		return secret, nil
	}
	return "", sigv4.ErrUnknownKey
}

// errorResponse is the Query protocol's error body.
type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Type    string   `xml:"Error>Type"`
	Code    string   `xml:"Error>Code"`
	Message string   `xml:"Error>Message"`
}

// How the SQS HTTP layer uses a Verifier: read the bounded body, verify,
// and answer a refusal with the code, status and message of the error (the
// message may quote the client's input: escape it).
func ExampleVerifier_Verify() {
	verifier := sigv4.NewVerifier(keys{"AKIAEXAMPLE": "secret"}, sigv4.Options{})
	handler := func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		id, err := verifier.Verify(r.Context(), r, body)
		if err != nil {
			var refused *sigv4.Error
			errors.As(err, &refused) // Verify's errors are always *sigv4.Error
			fault := "Sender"
			if refused.Status >= 500 {
				fault = "Receiver"
			}
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(refused.Status)
			_ = xml.NewEncoder(w).Encode(errorResponse{Type: fault, Code: refused.Code, Message: refused.Message})
			return
		}
		fmt.Fprintf(w, "signed by %s for %s", id.AccessKeyID, id.Region)
	}
	_ = handler
}
