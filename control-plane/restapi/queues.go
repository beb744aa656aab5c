package restapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/sluice-mq/sluice/data-plane/engine"
	"github.com/sluice-mq/sluice/sdk/api"
)

// Queues are provisioned through the same engine calls the SQS API makes,
// so attributes, defaults, limits and errors are SQS's; the error code in
// a reply is SQS's code.

func (a *API) queueRef(c echo.Context, name string) engine.QueueRef {
	return engine.QueueRef{Account: c.Param("account"), Region: a.region, Name: name}
}

// tenantExists answers 404 for a missing tenant, so queue routes never
// act on an account the catalog does not know.
func (a *API) tenantExists(c echo.Context) error {
	_, err := a.catalog.GetTenant(c.Request().Context(), c.Param("account"))
	return err
}

func (a *API) engineError(c echo.Context, err error) error {
	var ee *engine.Error
	if !errors.As(err, &ee) {
		return a.catalogError(c, err)
	}
	status := http.StatusBadRequest
	switch ee.Code {
	case engine.CodeQueueDoesNotExist:
		status = http.StatusNotFound
	case engine.CodeQueueAlreadyExists, engine.CodeQueueDeletedRecently, engine.CodePurgeQueueInProgress:
		status = http.StatusConflict
	case engine.CodeOverLimit:
		status = http.StatusForbidden
	}
	return fail(c, status, ee.Code, ee.Message)
}

func (a *API) queueReply(c echo.Context, name string) (api.Queue, error) {
	ctx := c.Request().Context()
	ref := a.queueRef(c, name)
	attrs, err := a.engine.GetQueueAttributes(ctx, ref, []string{engine.AttrAll})
	if err != nil {
		return api.Queue{}, err
	}
	q, err := a.engine.GetQueue(ctx, ref)
	if err != nil {
		return api.Queue{}, err
	}
	tags := q.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	st, err := a.engine.QueueStorage(ctx, ref)
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
	t, err := a.catalog.GetTenant(ctx, c.Param("account"))
	if err != nil {
		return a.catalogError(c, err)
	}
	ref := a.queueRef(c, in.Name)
	newQueue := engine.NewQueue{Attributes: in.Attributes, Tags: in.Tags, Tiering: fromAPITieringPatch(in.Tiering), MaxQueues: t.Quotas().MaxQueues}
	if _, err := a.engine.CreateQueueWith(ctx, ref, newQueue); err != nil {
		return a.engineError(c, err)
	}
	q, err := a.queueReply(c, in.Name)
	if err != nil {
		return a.engineError(c, err)
	}
	return c.JSON(http.StatusCreated, q)
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
	names, next, err := a.engine.ListQueues(c.Request().Context(), c.Param("account"), a.region, c.QueryParam("prefix"), limit, c.QueryParam("next"))
	if err != nil {
		return a.engineError(c, err)
	}
	if names == nil {
		names = []string{}
	}
	return c.JSON(http.StatusOK, api.QueueList{Queues: names, Next: next})
}

func (a *API) getQueue(c echo.Context) error {
	q, err := a.queueReply(c, c.Param("queue"))
	if err != nil {
		return a.engineError(c, err)
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
	if len(in.Attributes) > 0 {
		if err := a.engine.SetQueueAttributes(ctx, ref, in.Attributes); err != nil {
			return a.engineError(c, err)
		}
	}
	if len(in.Tags) > 0 {
		if err := a.engine.TagQueue(ctx, ref, in.Tags); err != nil {
			return a.engineError(c, err)
		}
	}
	if len(in.RemoveTags) > 0 {
		if err := a.engine.UntagQueue(ctx, ref, in.RemoveTags); err != nil {
			return a.engineError(c, err)
		}
	}
	if in.Tiering != nil {
		if _, err := a.engine.PatchQueueTiering(ctx, ref, *fromAPITieringPatch(in.Tiering)); err != nil {
			return a.engineError(c, err)
		}
	}
	return a.getQueue(c)
}

func (a *API) deleteQueue(c echo.Context) error {
	if err := a.engine.DeleteQueue(c.Request().Context(), a.queueRef(c, c.Param("queue"))); err != nil {
		return a.engineError(c, err)
	}
	return c.NoContent(http.StatusNoContent)
}
