package sqsapi

import "github.com/sluice-mq/sluice/data-plane/sqsotel"

// telemetry describes the finished call for its span and metrics.
func (c *call) telemetry(out any, err error) sqsotel.Info {
	info := sqsotel.Info{Action: c.action, Queue: c.queue, SentSizes: c.sentSizes, TraceHeaders: c.traceHeaders, Moved: c.moved}
	if err != nil {
		we, _ := toWire(err)
		info.Code = we.Code
		return info
	}
	switch o := out.(type) {
	case sendMessageOutput:
		info.MessageIDs = []string{o.MessageId}
	case sendMessageBatchOutput:
		info.Batch, info.Entries = true, len(o.Successful)+len(o.Failed)
		for _, e := range o.Successful {
			info.MessageIDs = append(info.MessageIDs, e.MessageId)
		}
	case receiveMessageOutput:
		info.Received = len(o.Messages)
		for _, m := range o.Messages {
			info.MessageIDs = append(info.MessageIDs, m.MessageId)
		}
	case deleteMessageBatchOutput:
		info.Batch, info.Entries = true, len(o.Successful)+len(o.Failed)
		info.Deleted = len(o.Successful)
	case changeVisibilityBatchOutput:
		info.Batch, info.Entries = true, len(o.Successful)+len(o.Failed)
	}
	if c.action == "DeleteMessage" {
		info.Deleted = 1
	}
	return info
}
