package engine

import (
	"crypto/rand"
	"fmt"
	"testing"
)

// TestFormatMessageID: message ids read as before the formatter was
// written by hand (fmt's %x of the UUID's five groups).
func TestFormatMessageID(t *testing.T) {
	for range 1000 {
		var id msgID
		_, _ = rand.Read(id[:])
		want := fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16])
		if got := formatMessageID(id); got != want {
			t.Fatalf("formatMessageID = %s, want %s", got, want)
		}
	}
}
