package restapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/data-plane/admission"
	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/data-plane/sqserr"
	"github.com/sluice-mq/sluice/sdk/api"
)

// Queues are provisioned through the same catalog calls the SQS API makes,
// so attributes, defaults, limits and errors are SQS's; the error code in
// a reply is SQS's code.

// queueRef is the path account's queue of that name; the call is metered
// on it.
func (a *API) queueRef(c echo.Context, name string) queues.Ref {
	ref := queues.Ref{Account: c.Param("account"), Region: a.region, Name: name}
	if call := admitted(c); call != nil {
		call.Queue(ref)
	}
	return ref
}

// admit passes a queue route through the admission gate as the SQS action
// it stands for: a missing tenant is answered 404, so queue routes never
// act on an account the catalog does not know; the tenant's admin rate
// applies (429 past it); and the call is metered with the code it was
// answered with.
func (a *API) admit(action string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			t, err := a.catalog.GetTenant(c.Request().Context(), c.Param("account"))
			if err != nil {
				return a.catalogError(c, err)
			}
			call, err := a.gate.Admit(admission.ControlPlane, admission.Tenant{Account: t.AccountID, Quotas: t.Quotas()}, action)
			if err != nil {
				return a.queueError(c, err)
			}
			c.Set(admittedKey, call)
			err = next(c)
			code, _ := c.Get(errorCodeKey).(string)
			call.Done(code)
			return err
		}
	}
}

func admitted(c echo.Context) *admission.Call {
	call, _ := c.Get(admittedKey).(*admission.Call)
	return call
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
	case admission.CodeThrottled:
		status = http.StatusTooManyRequests
	}
	return fail(c, status, ee.Code, ee.Message)
}

func (a *API) queueReply(c echo.Context, name string) (api.Queue, error) {
	ctx := c.Request().Context()
	ref := a.queueRef(c, name)
	attrs, err := a.data.GetQueueAttributes(ctx, ref, []string{queues.AttrAll})
	if err != nil {
		return api.Queue{}, err
	}
	q, err := a.queues.Get(ctx, ref)
	if err != nil {
		return api.Queue{}, err
	}
	tags := q.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	st, err := a.data.QueueStorage(ctx, ref)
	if err != nil {
		return api.Queue{}, err
	}
	return api.Queue{Name: name, ARN: ref.ARN(), Attributes: attrs, Tags: tags, Tiering: toAPITiering(q.Tiering),
		Storage: api.QueueStorage{Messages: st.Messages, HotBytes: st.HotBytes, ColdBytes: st.ColdBytes, Segments: st.Segments}}, nil
}

func (a *API) createQueue(c echo.Context) error {
	var in api.CreateQueueRequest
	if err := bind(c, &in); err != nil || in.Name == "" {
		return badRequest(c, "The body must be a JSON object with name and optional attributes and tags.")
	}
	ctx := c.Request().Context()
	ref := a.queueRef(c, in.Name)
	newQueue := queues.NewQueue{Attributes: in.Attributes, Tags: in.Tags, Tiering: fromAPITieringPatch(in.Tiering), Admit: admitted(c).AdmitQueue}
	if _, err := a.queues.CreateWith(ctx, ref, newQueue); err != nil {
		return a.queueError(c, err)
	}
	q, err := a.queueReply(c, in.Name)
	if err != nil {
		return a.queueError(c, err)
	}
	return c.JSON(http.StatusCreated, q)
}

func (a *API) listQueues(c echo.Context) error {
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
	return c.JSON(http.StatusOK, api.QueueList{Queues: names, Next: next})
}

func (a *API) getQueue(c echo.Context) error {
	q, err := a.queueReply(c, c.Param("queue"))
	if err != nil {
		return a.queueError(c, err)
	}
	return c.JSON(http.StatusOK, q)
}

func (a *API) updateQueue(c echo.Context) error {
	var in api.UpdateQueueRequest
	if err := bind(c, &in); err != nil || (len(in.Attributes) == 0 && len(in.Tags) == 0 && len(in.RemoveTags) == 0 && in.Tiering == nil) {
		return badRequest(c, "The body must set attributes, tags, removeTags or tiering.")
	}
	ctx := c.Request().Context()
	ref := a.queueRef(c, c.Param("queue"))
	change := queues.Change{Attributes: in.Attributes, Tags: in.Tags, RemoveTags: in.RemoveTags, Tiering: fromAPITieringPatch(in.Tiering)}
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
