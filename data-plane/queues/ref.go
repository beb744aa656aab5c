package queues

import (
	"regexp"
	"strings"
)

// Ref names a queue: the tenant's 12-digit account id, the region and the
// queue name. Every catalog and engine call is scoped by it, so a tenant
// can only ever reach keys under its own account.
type Ref struct {
	Account string
	Region  string
	Name    string
}

// InternalRegionPrefix starts the region of an internal queue: a queue
// Sluice keeps for itself in a tenant's account, such as a topic's push
// backlog for one http subscription (data-plane/topics/push). No client
// can sign for such a region, so the SQS API never reaches these queues,
// ListQueues (one region's records) never lists them, and they are not
// counted against the account's queue quota.
const InternalRegionPrefix = "sluice~"

// Internal reports whether the queue is internal (InternalRegionPrefix).
func (r Ref) Internal() bool { return strings.HasPrefix(r.Region, InternalRegionPrefix) }

// ARN returns the queue's ARN.
func (r Ref) ARN() string {
	return ARN{Region: r.Region, Account: r.Account, Name: r.Name}.String()
}

const maxQueueNameLen = 80

var queueNameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// ValidName reports whether name is a valid queue name: 1 to 80
// alphanumeric characters, hyphens or underscores, the last 5 of them
// ".fifo" for a FIFO queue.
func ValidName(name string) bool { return validQueueName(name) }

func validQueueName(name string) bool {
	return queueNameRe.MatchString(strings.TrimSuffix(name, ".fifo")) && len(name) <= maxQueueNameLen
}

// IsFIFOName reports whether the name is a FIFO queue's: the type of a
// queue is fixed at creation by its name.
func IsFIFOName(name string) bool {
	return len(name) > 5 && name[len(name)-5:] == ".fifo"
}
