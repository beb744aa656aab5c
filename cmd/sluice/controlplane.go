package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/sluice-mq/sluice/sdk/api"
)

// controlPlane calls the control plane's REST API with a bearer token, for
// the commands that act on a running service (token revoke, billing
// export).
type controlPlane struct{ base, token string }

// maxReply bounds a reply the commands read (a usage page of a busy month
// is the largest).
const maxReply = 256 << 20

// call sends in (nil: no body) as JSON and decodes a 2xx reply into out;
// any other status is an error carrying the API's code and message.
func (c controlPlane) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return fmt.Errorf("read the reply: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e api.Error
		if json.Unmarshal(reply, &e) == nil && e.Error.Code != "" {
			return fmt.Errorf("%s: %s %s", resp.Status, e.Error.Code, e.Error.Message)
		}
		return fmt.Errorf("%s: %.200s", resp.Status, reply)
	}
	if err := json.Unmarshal(reply, out); err != nil {
		return fmt.Errorf("reply %.200q: %w", reply, err)
	}
	return nil
}

func (c controlPlane) get(ctx context.Context, path string, query url.Values, out any) error {
	return c.call(ctx, http.MethodGet, path, query, nil, out)
}
