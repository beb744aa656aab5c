package queue

import (
	"errors"
	"fmt"
)

// ErrClosed is returned by a Producer after Close.
var ErrClosed = errors.New("queue: producer closed")

// EntryError is SQS's answer for one entry of a batch that failed while
// others may have succeeded.
type EntryError struct {
	Op          string // SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch
	Code        string
	Message     string
	SenderFault bool
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("%s entry: %s: %s", e.Op, e.Code, e.Message)
}
