package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-mq/sluice/internal/health"
)

// runHealthcheck asks a node's /healthz and exits 0 only on 200: the probe
// of container images that ship no shell or curl (Docker's HEALTHCHECK).
func runHealthcheck(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("sluice healthcheck", flag.ContinueOnError)
	listen := fs.String("listen", ":9324", "the node's --listen address; the probe asks its port on 127.0.0.1 (or the host it names)")
	url := fs.String("url", "", "the health URL to ask (default: http://{--listen}"+health.Path+")")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	target := *url
	if target == "" {
		host, port, err := net.SplitHostPort(*listen)
		if err != nil {
			return fmt.Errorf("--listen %q: %w", *listen, err)
		}
		if host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
			host = "127.0.0.1"
		}
		target = "http://" + net.JoinHostPort(host, port) + health.Path
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s %s", target, resp.Status, strings.TrimSpace(string(body)))
	}
	_, err = fmt.Fprintf(env.stdout, "%s\n", strings.TrimSpace(string(body)))
	return err
}
