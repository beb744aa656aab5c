package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/sdk/api"
)

// moveTask is a dead-letter redrive, as ListMessageMoveTasks answers it.
type moveTask struct {
	Handle, Status, Destination, Failure string
	Moved, ToMove                        int64
	Rate                                 int32
	Started                              int64 // ms since the epoch
	Running                              bool
}

type moveTasksView struct {
	Account, Queue string
	Tasks          []moveTask
}

func (c *Console) moveTasks(ctx context.Context, q api.Queue) (moveTasksView, error) {
	out, err := c.sqs.client.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String(q.ARN), MaxResults: aws.Int32(10)})
	if err != nil {
		return moveTasksView{}, err
	}
	var v moveTasksView
	for _, t := range out.Results {
		dest := "the source queues"
		if t.DestinationArn != nil {
			dest = arnName(*t.DestinationArn)
		}
		v.Tasks = append(v.Tasks, moveTask{Handle: aws.ToString(t.TaskHandle), Status: aws.ToString(t.Status), Destination: dest,
			Failure: aws.ToString(t.FailureReason), Moved: t.ApproximateNumberOfMessagesMoved, ToMove: aws.ToInt64(t.ApproximateNumberOfMessagesToMove),
			Rate: aws.ToInt32(t.MaxNumberOfMessagesPerSecond), Started: t.StartedTimestamp, Running: aws.ToString(t.Status) == "RUNNING"})
	}
	return v, nil
}

// moveTasksFragment is the redrive panel's task table, which the script
// refreshes while a task runs.
func (c *Console) moveTasksFragment(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, err := c.sqsAs(r, s)
	if err != nil {
		return err
	}
	q, err := s.cp.GetQueue(r.Context(), r.PathValue("account"), r.PathValue("queue"))
	if err != nil {
		return err
	}
	v, err := c.moveTasks(ctx, q)
	if err != nil {
		return err
	}
	c.fragment(w, "queue", "moves", view{S: s, Account: r.PathValue("account"), Data: queuePageView{Q: q, Moves: v}})
	return nil
}

func (c *Console) startMoveTask(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, err := c.sqsAs(r, s)
	if err != nil {
		return err
	}
	account, name := r.PathValue("account"), r.PathValue("queue")
	q, err := s.cp.GetQueue(r.Context(), account, name)
	if err != nil {
		return err
	}
	in := &sqs.StartMessageMoveTaskInput{SourceArn: aws.String(q.ARN)}
	if dest := r.PostForm.Get("destination"); dest != "" {
		in.DestinationArn = aws.String(arnOf(q, dest))
	}
	if v := strings.TrimSpace(r.PostForm.Get("rate")); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return &pageError{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: "The rate must be a whole number of messages per second (1 to 500)."}
		}
		in.MaxNumberOfMessagesPerSecond = aws.Int32(int32(n))
	}
	_, err = c.sqs.client.StartMessageMoveTask(ctx, in)
	c.audit.record(r, s, "start-move-task", name, err)
	if err != nil {
		return err
	}
	redirect(w, r, queuePath(account, name), "move-started")
	return nil
}

func (c *Console) cancelMoveTask(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx, err := c.sqsAs(r, s)
	if err != nil {
		return err
	}
	name := r.PathValue("queue")
	_, err = c.sqs.client.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: aws.String(r.PostForm.Get("handle"))})
	c.audit.record(r, s, "cancel-move-task", name, err)
	if err != nil {
		return err
	}
	redirect(w, r, queuePath(r.PathValue("account"), name), "move-cancel")
	return nil
}
