package sqsapi

import (
	"context"

	"github.com/sluice-mq/sluice/data-plane/queues"
)

// arnRef resolves a queue ARN to the caller's queue. A malformed ARN, or
// one in another account or region, is answered like a missing queue, so
// a tenant cannot learn of another's queues.
func (c *call) arnRef(param, arn string) (queues.Ref, error) {
	if arn == "" {
		return queues.Ref{}, errMissingParameter(param)
	}
	a, err := queues.ParseARN(arn)
	if err != nil || a.Account != c.principal.AccountID || a.Region != c.principal.Region {
		return queues.Ref{}, NewError("ResourceNotFoundException", "The resource that you specified for the %s parameter doesn't exist.", param)
	}
	return c.ref(a.Name), nil
}

func startMessageMoveTask(ctx context.Context, c *call) (any, error) {
	var in startMoveTaskInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	source, err := c.arnRef("SourceArn", in.SourceArn)
	if err != nil {
		return nil, err
	}
	var dest *queues.Ref
	if in.DestinationArn != "" {
		d, err := c.arnRef("DestinationArn", in.DestinationArn)
		if err != nil {
			return nil, err
		}
		dest = &d
	}
	handle, err := c.h.engine.StartMessageMoveTask(ctx, source, dest, deref(in.MaxNumberOfMessagesPerSecond))
	if err != nil {
		return nil, err
	}
	return startMoveTaskOutput{TaskHandle: handle}, nil
}

func cancelMessageMoveTask(ctx context.Context, c *call) (any, error) {
	var in cancelMoveTaskInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.TaskHandle == "" {
		return nil, errMissingParameter("TaskHandle")
	}
	moved, err := c.h.engine.CancelMessageMoveTask(ctx, c.principal.AccountID, c.principal.Region, in.TaskHandle)
	if err != nil {
		return nil, err
	}
	return cancelMoveTaskOutput{ApproximateNumberOfMessagesMoved: moved}, nil
}

func listMessageMoveTasks(ctx context.Context, c *call) (any, error) {
	var in listMoveTasksInput
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	source, err := c.arnRef("SourceArn", in.SourceArn)
	if err != nil {
		return nil, err
	}
	if err := checkMaxResults(in.MaxResults, 10); err != nil {
		return nil, err
	}
	tasks, err := c.h.engine.ListMessageMoveTasks(ctx, source, deref(in.MaxResults))
	if err != nil {
		return nil, err
	}
	out := listMoveTasksOutput{Results: make([]moveTaskEntry, len(tasks))}
	for i, t := range tasks {
		e := moveTaskEntry{
			TaskHandle:                       t.TaskHandle,
			Status:                           t.Status,
			SourceArn:                        t.SourceArn,
			DestinationArn:                   t.DestinationArn,
			ApproximateNumberOfMessagesMoved: t.ApproximateNumberOfMessagesMoved,
			FailureReason:                    t.FailureReason,
			StartedTimestamp:                 t.StartedTimestamp,
		}
		if t.MaxNumberOfMessagesPerSecond > 0 {
			rate := t.MaxNumberOfMessagesPerSecond
			e.MaxNumberOfMessagesPerSecond = &rate
		}
		toMove := t.ApproximateNumberOfMessagesToMove
		e.ApproximateNumberOfMessagesToMove = &toMove
		out.Results[i] = e
	}
	return out, nil
}
