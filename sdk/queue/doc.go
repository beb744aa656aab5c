// Package queue sends and consumes messages over aws-sdk-go-v2's SQS
// client, against Sluice or Amazon SQS alike.
//
// A Producer batches Send calls into SendMessageBatch requests (10 entries
// or 1 MiB, after a short linger) and hands each caller its own entry's
// result. A Consumer long-polls with several pollers, runs a handler per
// message with bounded concurrency (one at a time per FIFO message group),
// deletes what the handler acknowledges, extends the visibility of what is
// still being handled, and on shutdown returns unstarted messages to the
// queue at once.
//
// The package never imports the Sluice server; it needs only the four SQS
// batch calls of API, which *sqs.Client implements.
package queue
