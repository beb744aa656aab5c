package admission

// ActionDeliver is the action a push delivery is metered as: an HTTP
// POST of a topic's message to an http/https subscription.
const ActionDeliver = "Deliver"

// Deliver meters one successful push delivery of bytes (the request body)
// for account's topic in region. A delivery is never refused here: the
// publish that caused it was admitted.
func (g *Gate) Deliver(account, region, topic string, bytes int64) {
	if g.meter != nil {
		g.meter.Count(Usage{API: SQS, Action: ActionDeliver, Account: account, Region: region, Queue: topic, OutBytes: bytes})
	}
}
