package check

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// LoadCompose parses a Compose file with compose-go (the Compose
// specification's reference loader: its JSON schema, interpolation with the
// file's defaults, anchors and merges, and its consistency checks, such as
// depends_on naming services that exist), with every profile active and an
// empty environment.
func LoadCompose(ctx context.Context, file string) (*types.Project, error) {
	opts, err := cli.NewProjectOptions([]string{file},
		cli.WithEnv(nil), cli.WithProfiles([]string{"*"}), cli.WithName("sluice"))
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(ctx)
}

// Topology is how many services of each kind the Compose file must have.
var Topology = map[string]int{
	"pd": 3, "tikv": 3, "s3": 1, "data-plane": 2, "control-plane": 1, "billing": 1,
}

// CheckCompose checks a loaded project: the topology; every image either
// built by a service of the file or pinned to a version; every service
// with a health check, every dependency waiting on a condition; every
// host name it passes (PD, TiKV, S3, control plane addresses) a service of
// the file that the user depends on; and every sluice command line and
// SLUICE_* variable one the binary defines.
func CheckCompose(p *types.Project, b Binary) []error {
	var errs []error
	fail := func(svc, format string, a ...any) {
		errs = append(errs, fmt.Errorf("service %s: %s", svc, fmt.Sprintf(format, a...)))
	}
	built := map[string]bool{}
	for _, s := range p.Services {
		if s.Build != nil {
			if s.Image == "" {
				fail(s.Name, "builds an image without naming it")
			}
			built[s.Image] = true
		}
	}
	if len(built) == 0 {
		errs = append(errs, fmt.Errorf("no service builds the sluice image"))
	}
	commands, err := b.Commands()
	if err != nil {
		return append(errs, err)
	}
	kinds := map[string]int{}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range p.Services {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		s := p.Services[name]
		sluice := built[s.Image]
		switch {
		case sluice:
		case s.Image == "":
			fail(name, "names no image")
		default:
			repo, tag, ok := strings.Cut(lastPart(s.Image), ":")
			if !ok || tag == "" || tag == "latest" {
				fail(name, "image %s: pin a version", s.Image)
			}
			if strings.Contains(repo, "sluice") {
				fail(name, "image %s looks like sluice's but no service builds it", s.Image)
			}
		}
		image := lastPart(s.Image)
		switch {
		case strings.HasPrefix(image, "pd:"):
			kinds["pd"]++
		case strings.HasPrefix(image, "tikv:"):
			kinds["tikv"]++
		case strings.HasPrefix(image, "versitygw:"), strings.HasPrefix(image, "minio:"):
			kinds["s3"]++
		case sluice && len(s.Command) >= 3 && s.Command[0] == "serve":
			if i := slices.Index(s.Command, "--role"); i >= 0 && i+1 < len(s.Command) {
				kinds[s.Command[i+1]]++
			}
		}
		tool := len(s.Profiles) > 0
		if !tool {
			hc := s.HealthCheck
			if hc == nil || hc.Disable || len(hc.Test) < 2 {
				fail(name, "has no health check")
			} else if sluice {
				test := hc.Test[1:]
				if test[0] == "/usr/local/bin/sluice" || test[0] == "sluice" {
					test = test[1:]
				}
				if len(test) == 0 || !commands[test[0]] {
					fail(name, "health check %v runs no sluice command", hc.Test)
				} else {
					errs = append(errs, prefix("service "+name+" health check", CheckInvocation(b, test, nil))...)
				}
			}
		}
		for dep, d := range s.DependsOn {
			switch d.Condition {
			case types.ServiceConditionHealthy:
				if t, ok := p.Services[dep]; ok && (t.HealthCheck == nil || t.HealthCheck.Disable) {
					fail(name, "waits for %s to be healthy, which has no health check", dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
			default:
				fail(name, "depends on %s with condition %q; want service_healthy", dep, d.Condition)
			}
		}
		// Host names in addresses and URLs.
		var values []string
		for k, v := range s.Environment {
			if v != nil && (strings.HasSuffix(k, "_PD") || strings.HasSuffix(k, "_ENDPOINT")) {
				values = append(values, strings.Split(*v, ",")...)
			}
		}
		for _, a := range s.Command {
			if strings.HasPrefix(a, "--") && strings.Contains(a, "=") {
				_, v, _ := strings.Cut(a, "=")
				for _, item := range strings.Split(v, ",") {
					if _, u, ok := strings.Cut(item, "="); ok && strings.Contains(u, "://") {
						item = u // --initial-cluster=name=URL
					}
					values = append(values, item)
				}
			}
		}
		for _, v := range values {
			host := hostOf(v)
			if host == "" || host == "0.0.0.0" || host == "127.0.0.1" || host == "localhost" {
				continue
			}
			if _, ok := p.Services[host]; !ok {
				fail(name, "names host %s, which is no service of the file", host)
			} else if host != name && p.Services[host].Image != s.Image && s.DependsOn[host].Condition == "" {
				// (Peers of one image, PD's members, start together.)
				fail(name, "talks to %s without depending on it", host)
			}
		}
		if sluice {
			var env []string
			for k := range s.Environment {
				env = append(env, k)
			}
			sort.Strings(env)
			if tool {
				errs = append(errs, prefix("service "+name, checkEnvAnyCommand(b, env))...)
			} else {
				errs = append(errs, prefix("service "+name, CheckInvocation(b, s.Command, env))...)
			}
		}
	}
	for kind, want := range Topology {
		if kinds[kind] != want {
			errs = append(errs, fmt.Errorf("%d %s services, want %d", kinds[kind], kind, want))
		}
	}
	return errs
}

// checkEnvAnyCommand checks SLUICE_* variables of a service that runs any
// command: each must be a flag of one of them.
func checkEnvAnyCommand(b Binary, env []string) []error {
	all := map[string]bool{}
	for _, c := range [][]string{{"serve"}, {"token", "create"}, {"token", "revoke"}, {"billing", "export"}, {"healthcheck"}} {
		flags, err := b.Flags(c...)
		if err != nil {
			return []error{err}
		}
		for f := range flags {
			all[f] = true
		}
	}
	var errs []error
	for _, e := range env {
		if f := FlagOfEnv(e); f != "" && !all[f] {
			errs = append(errs, fmt.Errorf("no sluice command has a flag --%s, so %s does nothing", f, e))
		}
	}
	return errs
}

func prefix(p string, errs []error) []error {
	for i, e := range errs {
		errs[i] = fmt.Errorf("%s: %w", p, e)
	}
	return errs
}

func lastPart(image string) string {
	return image[strings.LastIndex(image, "/")+1:]
}

// hostOf returns the host of "host:port" or a URL, else "".
func hostOf(v string) string {
	v = strings.TrimSpace(v)
	if strings.Contains(v, "://") {
		u, err := url.Parse(v)
		if err != nil {
			return ""
		}
		return u.Hostname()
	}
	host, _, err := net.SplitHostPort(v)
	if err != nil {
		return ""
	}
	return host
}
