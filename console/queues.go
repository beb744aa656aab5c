package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sluice-mq/sluice/data-plane/queues"
	"github.com/sluice-mq/sluice/sdk/api"
)

// queuePageSize is how many queues the list shows at once: each row is a
// GetQueue call, refreshed every few seconds.
const queuePageSize = 20

type queueRow struct {
	Name                       string
	FIFO                       bool
	Visible, InFlight, Delayed string
	OldestMillis               int64
	HotBytes, ColdBytes        int64
	DeadLetterTarget           string    // the queue's DLQ, from its redrive policy
	Half                       *halfView // undecided half messages; nil without gauges
	Error                      string
}

type queueListView struct {
	Prefix, Next, RowsURL string
	Rows                  []queueRow
}

func (c *Console) queueListData(r *http.Request, s *session) (queueListView, error) {
	account := r.PathValue("account")
	prefix, next := r.URL.Query().Get("prefix"), r.URL.Query().Get("next")
	page, err := s.cp.ListQueuesPage(r.Context(), account, prefix, queuePageSize, next)
	if err != nil {
		return queueListView{}, err
	}
	v := queueListView{Prefix: prefix, Next: page.Next, RowsURL: accountPath(account) + "/queues/rows?" + r.URL.RawQuery}
	for _, name := range page.Queues {
		row := queueRow{Name: name, FIFO: strings.HasSuffix(name, ".fifo")}
		q, err := s.cp.GetQueue(r.Context(), account, name)
		if err != nil {
			pe, _ := asPageError(err)
			if pe == nil {
				return queueListView{}, err
			}
			row.Error = pe.Code
			v.Rows = append(v.Rows, row)
			continue
		}
		row.Visible = q.Attributes[queues.AttrApproximateNumberOfMessages]
		row.InFlight = q.Attributes[queues.AttrApproximateNumberOfMessagesNotVisible]
		row.Delayed = q.Attributes[queues.AttrApproximateNumberOfMessagesDelayed]
		row.HotBytes, row.ColdBytes = q.Storage.HotBytes, q.Storage.ColdBytes
		row.DeadLetterTarget = redriveOf(q).Target
		if c.opts.Gauges != nil {
			// The control plane just answered for this queue, so the
			// user may read it.
			ref := queues.Ref{Account: account, Region: c.opts.Region, Name: name}
			g, err := c.opts.Gauges.QueueGauges(r.Context(), ref)
			if err == nil {
				row.OldestMillis = g.OldestAgeMillis
			}
			row.Half = c.halfMessages(r.Context(), ref, 0)
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

func (c *Console) queueList(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := c.queueListData(r, s)
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "queues", view{S: s, Account: r.PathValue("account"), Title: "Queues", Data: v})
	return nil
}

// queueRows is the list's table body, which the script refreshes.
func (c *Console) queueRows(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := c.queueListData(r, s)
	if err != nil {
		return err
	}
	c.fragment(w, "queues", "rows", view{S: s, Account: r.PathValue("account"), Data: v})
	return nil
}

type newQueueView struct{ Standard, FIFO []attributeSpec }

func (c *Console) newQueuePage(w http.ResponseWriter, r *http.Request, s *session) error {
	// Reading the tenant first answers 403 for another account.
	if _, err := s.cp.GetTenant(r.Context(), r.PathValue("account")); err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "newqueue", view{S: s, Account: r.PathValue("account"), Title: "Create queue",
		Data: newQueueView{Standard: specsFor(false), FIFO: specsFor(true)}})
	return nil
}

func (c *Console) createQueue(w http.ResponseWriter, r *http.Request, s *session) error {
	account := r.PathValue("account")
	fifo := r.PostForm.Get("type") == "fifo"
	req := api.CreateQueueRequest{Name: strings.TrimSpace(r.PostForm.Get("name")), Attributes: map[string]string{}}
	if fifo {
		req.Attributes[queues.AttrFifoQueue] = "true"
	}
	for _, spec := range specsFor(fifo) {
		if v := strings.TrimSpace(r.PostForm.Get(spec.Name)); v != "" {
			req.Attributes[spec.Name] = v
		}
	}
	_, err := s.cp.CreateQueue(r.Context(), account, req)
	c.audit.record(r, s, "create-queue", req.Name, err)
	if err != nil {
		return err
	}
	redirect(w, r, queuePath(account, req.Name), "created")
	return nil
}

// attrField is a spec with the queue's value.
type attrField struct {
	attributeSpec
	Value string
}

type redrive struct {
	Target          string // the dead-letter queue's name
	MaxReceiveCount string
}

type redriveAllow struct {
	Permission string
	Sources    string // queue names, one a line
}

type queuePageView struct {
	Q          api.Queue
	FIFO       bool
	Fields     []attrField
	Redrive    redrive
	Allow      redriveAllow
	Others     []string // the account's other queues (DLQ and move targets)
	Sources    []string // queues whose dead-letter queue this is
	HasSQS     bool
	Polled     bool
	Messages   []polledMessage
	Moves      moveTasksView
	TagsText   string
	PolicyText string
	Half       *halfView // undecided half messages; nil without gauges
}

func redriveOf(q api.Queue) redrive {
	var p struct {
		Target string          `json:"deadLetterTargetArn"`
		Max    json.RawMessage `json:"maxReceiveCount"`
	}
	if json.Unmarshal([]byte(q.Attributes[queues.AttrRedrivePolicy]), &p) != nil || p.Target == "" {
		return redrive{}
	}
	return redrive{Target: arnName(p.Target), MaxReceiveCount: strings.Trim(string(p.Max), `"`)}
}

func arnName(arn string) string {
	return arn[strings.LastIndexByte(arn, ':')+1:]
}

// arnOf is the ARN of the account's queue name, next to q.
func arnOf(q api.Queue, name string) string {
	return q.ARN[:strings.LastIndexByte(q.ARN, ':')+1] + name
}

func (c *Console) queueView(r *http.Request, s *session) (queuePageView, error) {
	ctx, account, name := r.Context(), r.PathValue("account"), r.PathValue("queue")
	q, err := s.cp.GetQueue(ctx, account, name)
	if err != nil {
		return queuePageView{}, err
	}
	v := queuePageView{Q: q, FIFO: q.Attributes[queues.AttrFifoQueue] == "true", Redrive: redriveOf(q), HasSQS: c.sqs != nil,
		PolicyText: q.Attributes[queues.AttrPolicy],
		Half:       c.halfMessages(ctx, queues.Ref{Account: account, Region: c.opts.Region, Name: name}, halfListed)}
	for _, spec := range specsFor(v.FIFO) {
		v.Fields = append(v.Fields, attrField{attributeSpec: spec, Value: q.Attributes[spec.Name]})
	}
	var allow struct {
		Permission string   `json:"redrivePermission"`
		Sources    []string `json:"sourceQueueArns"`
	}
	if json.Unmarshal([]byte(q.Attributes[queues.AttrRedriveAllowPolicy]), &allow) == nil {
		v.Allow.Permission = allow.Permission
		for _, a := range allow.Sources {
			v.Allow.Sources += arnName(a) + "\n"
		}
	}
	keys := make([]string, 0, len(q.Tags))
	for k := range q.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v.TagsText += k + "=" + q.Tags[k] + "\n"
	}
	list, err := s.cp.ListQueuesPage(ctx, account, "", 1000, "")
	if err != nil {
		return queuePageView{}, err
	}
	for _, other := range list.Queues {
		if other != name {
			v.Others = append(v.Others, other)
		}
	}
	if c.sqs != nil {
		sctx, err := c.sqsAs(r, s)
		if err != nil {
			return queuePageView{}, err
		}
		src, err := c.sqs.client.ListDeadLetterSourceQueues(sctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(name), MaxResults: aws.Int32(1000)})
		if err != nil {
			return queuePageView{}, err
		}
		for _, u := range src.QueueUrls {
			v.Sources = append(v.Sources, u[strings.LastIndexByte(u, '/')+1:])
		}
		if v.Moves, err = c.moveTasks(sctx, q); err != nil {
			return queuePageView{}, err
		}
	}
	return v, nil
}

func (c *Console) queuePage(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := c.queueView(r, s)
	if err != nil {
		return err
	}
	c.renderQueue(w, r, s, v)
	return nil
}

func (c *Console) renderQueue(w http.ResponseWriter, r *http.Request, s *session, v queuePageView) {
	c.render(w, r, http.StatusOK, "queue", view{S: s, Account: r.PathValue("account"), Title: v.Q.Name, Data: v})
}

// update applies a change through the control plane and returns to the
// queue's page.
func (c *Console) update(w http.ResponseWriter, r *http.Request, s *session, action string, req api.UpdateQueueRequest) error {
	account, name := r.PathValue("account"), r.PathValue("queue")
	_, err := s.cp.UpdateQueue(r.Context(), account, name, req)
	c.audit.record(r, s, action, name, err)
	if err != nil {
		return err
	}
	redirect(w, r, queuePath(account, name), "updated")
	return nil
}

func (c *Console) setAttributes(w http.ResponseWriter, r *http.Request, s *session) error {
	q, err := s.cp.GetQueue(r.Context(), r.PathValue("account"), r.PathValue("queue"))
	if err != nil {
		return err
	}
	attrs := map[string]string{}
	for _, spec := range specsFor(q.Attributes[queues.AttrFifoQueue] == "true") {
		v := strings.TrimSpace(r.PostForm.Get(spec.Name))
		if _, sent := r.PostForm[spec.Name]; sent && v != q.Attributes[spec.Name] {
			attrs[spec.Name] = v
		}
	}
	if len(attrs) == 0 {
		redirect(w, r, queuePath(r.PathValue("account"), q.Name), "updated")
		return nil
	}
	return c.update(w, r, s, "set-attributes", api.UpdateQueueRequest{Attributes: attrs})
}

func (c *Console) setRedrivePolicy(w http.ResponseWriter, r *http.Request, s *session) error {
	q, err := s.cp.GetQueue(r.Context(), r.PathValue("account"), r.PathValue("queue"))
	if err != nil {
		return err
	}
	policy := ""
	if target := r.PostForm.Get("target"); target != "" {
		p := map[string]any{"deadLetterTargetArn": arnOf(q, target)}
		maxCount := strings.TrimSpace(r.PostForm.Get("maxReceiveCount"))
		if n, err := strconv.Atoi(maxCount); err == nil {
			p["maxReceiveCount"] = n
		} else {
			p["maxReceiveCount"] = maxCount // the API says what is wrong with it
		}
		b, _ := json.Marshal(p)
		policy = string(b)
	}
	return c.update(w, r, s, "set-redrive-policy", api.UpdateQueueRequest{Attributes: map[string]string{queues.AttrRedrivePolicy: policy}})
}

func (c *Console) setRedriveAllowPolicy(w http.ResponseWriter, r *http.Request, s *session) error {
	q, err := s.cp.GetQueue(r.Context(), r.PathValue("account"), r.PathValue("queue"))
	if err != nil {
		return err
	}
	policy := ""
	if perm := r.PostForm.Get("permission"); perm != "" {
		p := map[string]any{"redrivePermission": perm}
		if perm == "byQueue" {
			arns := []string{}
			for _, line := range strings.Fields(r.PostForm.Get("sources")) {
				if !strings.HasPrefix(line, "arn:") {
					line = arnOf(q, line)
				}
				arns = append(arns, line)
			}
			p["sourceQueueArns"] = arns
		}
		b, _ := json.Marshal(p)
		policy = string(b)
	}
	return c.update(w, r, s, "set-redrive-allow-policy", api.UpdateQueueRequest{Attributes: map[string]string{queues.AttrRedriveAllowPolicy: policy}})
}

// setPolicy stores the access policy document as given (empty removes
// it); the API checks it is JSON within SQS's size.
func (c *Console) setPolicy(w http.ResponseWriter, r *http.Request, s *session) error {
	policy := strings.TrimSpace(r.PostForm.Get("policy"))
	return c.update(w, r, s, "set-policy", api.UpdateQueueRequest{Attributes: map[string]string{queues.AttrPolicy: policy}})
}

// setTags makes the queue's tags the form's key=value lines.
func (c *Console) setTags(w http.ResponseWriter, r *http.Request, s *session) error {
	q, err := s.cp.GetQueue(r.Context(), r.PathValue("account"), r.PathValue("queue"))
	if err != nil {
		return err
	}
	req := api.UpdateQueueRequest{Tags: map[string]string{}}
	for line := range strings.Lines(r.PostForm.Get("tags")) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		req.Tags[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	for k := range q.Tags {
		if _, keep := req.Tags[k]; !keep {
			req.RemoveTags = append(req.RemoveTags, k)
		}
	}
	if len(req.Tags) == 0 && len(req.RemoveTags) == 0 {
		redirect(w, r, queuePath(r.PathValue("account"), q.Name), "updated")
		return nil
	}
	return c.update(w, r, s, "set-tags", req)
}

func (c *Console) purgeQueue(w http.ResponseWriter, r *http.Request, s *session) error {
	if r.PostForm.Get("confirm") != "purge" {
		return &pageError{Status: http.StatusBadRequest, Code: "ConfirmationMismatch", Message: "Type purge to purge the queue."}
	}
	ctx, err := c.sqsAs(r, s)
	if err != nil {
		return err
	}
	name := r.PathValue("queue")
	_, err = c.sqs.client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(name)})
	c.audit.record(r, s, "purge-queue", name, err)
	if err != nil {
		return err
	}
	redirect(w, r, queuePath(r.PathValue("account"), name), "purged")
	return nil
}

func (c *Console) deleteQueue(w http.ResponseWriter, r *http.Request, s *session) error {
	account, name := r.PathValue("account"), r.PathValue("queue")
	if r.PostForm.Get("confirm") != name {
		return &pageError{Status: http.StatusBadRequest, Code: "ConfirmationMismatch", Message: "Type the queue's name to delete it."}
	}
	err := s.cp.DeleteQueue(r.Context(), account, name)
	c.audit.record(r, s, "delete-queue", name, err)
	if err != nil {
		return err
	}
	redirect(w, r, accountPath(account)+"/queues", "deleted")
	return nil
}
