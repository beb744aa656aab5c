package restapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
)

// Queues are provisioned through the same catalog calls the SQS API makes,
// so attributes, defaults, limits and errors are SQS's; the error code in
// a reply is SQS's code.

type queueJSON struct {
	Name       string                 `json:"name"`
	Arn        string                 `json:"arn"`
	Attributes map[string]string      `json:"attributes"`
	Tags       map[string]string      `json:"tags"`
	Tiering    queues.TieringSettings `json:"tiering"`
	Storage    storageJSON            `json:"storage"`
}

// storageJSON is where a queue's messages are: bytes count bodies plus
// attributes, as SQS counts a message's size.
type storageJSON struct {
	Messages  int64 `json:"messages"`
	HotBytes  int64 `json:"hotBytes"`
	ColdBytes int64 `json:"coldBytes"`
	Segments  int64 `json:"segments"`
}

type createQueueRequest struct {
	Name       string               `json:"name"`
	Attributes map[string]string    `json:"attributes"`
	Tags       map[string]string    `json:"tags"`
	Tiering    *queues.TieringPatch `json:"tiering"`
}

type updateQueueRequest struct {
	Attributes map[string]string    `json:"attributes"`
	Tags       map[string]string    `json:"tags"`       // added or replaced
	RemoveTags []string             `json:"removeTags"` // removed
	Tiering    *queues.TieringPatch `json:"tiering"`
}

func (a *API) queueRef(c echo.Context, name string) queues.Ref {
	return queues.Ref{Account: c.Param("account"), Region: a.region, Name: name}
}

// tenantExists answers 404 for a missing tenant, so queue routes never
// act on an account the catalog does not know.
func (a *API) tenantExists(c echo.Context) error {
	_, err := a.catalog.GetTenant(c.Request().Context(), c.Param("account"))
	return err
}

func (a *API) queueError(c echo.Context, err error) error {
	var ee *sqserr.Error
	if !errors.As(err, &ee) {
		return a.catalogError(c, err)
	}
	status := http.StatusBadRequest
	switch ee.Code {
	case sqserr.CodeQueueDoesNotExist:
		status = http.StatusNotFound
	case sqserr.CodeQueueAlreadyExists, sqserr.CodeQueueDeletedRecently, sqserr.CodePurgeQueueInProgress:
		status = http.StatusConflict
	case sqserr.CodeOverLimit:
		status = http.StatusForbidden
	}
	return fail(c, status, ee.Code, ee.Message)
}

func (a *API) queueReply(c echo.Context, name string) (queueJSON, error) {
	ctx := c.Request().Context()
	ref := a.queueRef(c, name)
	attrs, err := a.data.GetQueueAttributes(ctx, ref, []string{queues.AttrAll})
	if err != nil {
		return queueJSON{}, err
	}
	q, err := a.queues.Get(ctx, ref)
	if err != nil {
		return queueJSON{}, err
	}
	tags := q.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	st, err := a.data.QueueStorage(ctx, ref)
	if err != nil {
		return queueJSON{}, err
	}
	return queueJSON{Name: name, Arn: ref.ARN(), Attributes: attrs, Tags: tags, Tiering: q.Tiering,
		Storage: storageJSON{Messages: st.Messages, HotBytes: st.HotBytes, ColdBytes: st.ColdBytes, Segments: st.Segments}}, nil
}

func (a *API) createQueue(c echo.Context) error {
	var in createQueueRequest
	if err := bind(c, &in); err != nil || in.Name == "" {
		return badRequest(c, "The body must be a JSON object with name and optional attributes and tags.")
	}
	ctx := c.Request().Context()
	t, err := a.catalog.GetTenant(ctx, c.Param("account"))
	if err != nil {
		return a.catalogError(c, err)
	}
	ref := a.queueRef(c, in.Name)
	newQueue := queues.NewQueue{Attributes: in.Attributes, Tags: in.Tags, Tiering: in.Tiering, Admit: maxQueues(t.Quotas().MaxQueues)}
	if _, err := a.queues.CreateWith(ctx, ref, newQueue); err != nil {
		return a.queueError(c, err)
	}
	q, err := a.queueReply(c, in.Name)
	if err != nil {
		return a.queueError(c, err)
	}
	return c.JSON(http.StatusCreated, q)
}

type queueList struct {
	Queues []string `json:"queues"`
	Next   string   `json:"next,omitempty"`
}

func (a *API) listQueues(c echo.Context) error {
	if err := a.tenantExists(c); err != nil {
		return a.catalogError(c, err)
	}
	limit := 1000
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return badRequest(c, "limit must be a number from 1 to 1000.")
		}
		limit = n
	}
	names, next, err := a.queues.List(c.Request().Context(), c.Param("account"), a.region, c.QueryParam("prefix"), limit, c.QueryParam("next"))
	if err != nil {
		return a.queueError(c, err)
	}
	if names == nil {
		names = []string{}
	}
	return c.JSON(http.StatusOK, queueList{Queues: names, Next: next})
}

func (a *API) getQueue(c echo.Context) error {
	q, err := a.queueReply(c, c.Param("queue"))
	if err != nil {
		return a.queueError(c, err)
	}
	return c.JSON(http.StatusOK, q)
}

func (a *API) updateQueue(c echo.Context) error {
	var in updateQueueRequest
	if err := bind(c, &in); err != nil || (len(in.Attributes) == 0 && len(in.Tags) == 0 && len(in.RemoveTags) == 0 && in.Tiering == nil) {
		return badRequest(c, "The body must set attributes, tags, removeTags or tiering.")
	}
	ctx := c.Request().Context()
	ref := a.queueRef(c, c.Param("queue"))
	change := queues.Change{Attributes: in.Attributes, Tags: in.Tags, RemoveTags: in.RemoveTags, Tiering: in.Tiering}
	if err := a.queues.Update(ctx, ref, change); err != nil {
		return a.queueError(c, err)
	}
	return a.getQueue(c)
}

func (a *API) deleteQueue(c echo.Context) error {
	ctx := c.Request().Context()
	old, err := a.queues.Delete(ctx, a.queueRef(c, c.Param("queue")))
	if err != nil {
		return a.queueError(c, err)
	}
	if err := a.data.QueuesGone(ctx, old); err != nil {
		// The queue is gone; its long polls end with their own wait instead.
		a.log.Warn("wake long polls of a deleted queue", "queue", c.Param("queue"), "error", err)
	}
	return c.NoContent(http.StatusNoContent)
}

// maxQueues admits a new queue while the account has fewer than limit
// (0: no limit), the check the catalog runs inside the create transaction.
func maxQueues(limit int) func(queuesInAccount int64) error {
	return func(n int64) error {
		if limit > 0 && n >= int64(limit) {
			return sqserr.Errorf(sqserr.CodeOverLimit, "The account has reached its quota of %d queues.", limit)
		}
		return nil
	}
}
