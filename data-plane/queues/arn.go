package queues

import (
	"fmt"
	"strings"
)

// ARN names a queue: arn:aws:sqs:{region}:{account}:{name}.
type ARN struct {
	Region, Account, Name string
}

func (a ARN) String() string {
	return "arn:aws:sqs:" + a.Region + ":" + a.Account + ":" + a.Name
}

// Ref returns the queue the ARN names.
func (a ARN) Ref() Ref { return Ref{Account: a.Account, Region: a.Region, Name: a.Name} }

// ParseARN parses a queue ARN.
func ParseARN(s string) (ARN, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "sqs" || parts[3] == "" || parts[4] == "" || !validQueueName(parts[5]) {
		return ARN{}, fmt.Errorf("invalid queue ARN %q", s)
	}
	return ARN{Region: parts[3], Account: parts[4], Name: parts[5]}, nil
}
