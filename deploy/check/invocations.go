package check

import (
	"fmt"
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// CheckChartInvocations checks that every container of a rendered
// Deployment runs a sluice command line and SLUICE_* variables that the
// binary defines.
func CheckChartInvocations(objs []Rendered, b Binary) []error {
	var errs []error
	for _, r := range objs {
		if r.Object.GetKind() != "Deployment" {
			continue
		}
		var d appsv1.Deployment
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(r.Object.Object, &d); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r, err))
			continue
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			args := append(append([]string{}, c.Command...), c.Args...)
			if len(args) > 0 && strings.HasSuffix(args[0], "/sluice") {
				args = args[1:]
			}
			var env []string
			for _, e := range c.Env {
				env = append(env, e.Name)
			}
			errs = append(errs, prefix(fmt.Sprintf("%s container %s", r, c.Name), CheckInvocation(b, args, env))...)
		}
	}
	return errs
}

var (
	dockerInstr = regexp.MustCompile(`(?m)^(FROM|USER|ENV|HEALTHCHECK|ENTRYPOINT|CMD)\s+(.*)$`)
	execForm    = regexp.MustCompile(`"([^"]*)"`)
)

// CheckDockerfile checks the image's Dockerfile: a multi-stage build of a
// static binary (CGO_ENABLED=0), a non-root numeric USER in the final
// stage, a HEALTHCHECK that runs a sluice command that exists, and ENV
// settings that are sluice flags.
func CheckDockerfile(text string, b Binary) []error {
	var errs []error
	text = strings.ReplaceAll(text, "\\\n", " ")
	stages, user := 0, ""
	var health, entry, cmd []string
	var env []string
	for _, m := range dockerInstr.FindAllStringSubmatch(text, -1) {
		switch m[1] {
		case "FROM":
			stages++
			user, env = "", nil // per stage
		case "USER":
			user = strings.TrimSpace(m[2])
		case "ENV":
			for _, kv := range strings.Fields(m[2]) {
				k, _, _ := strings.Cut(kv, "=")
				env = append(env, k)
			}
		case "HEALTHCHECK":
			_, after, ok := strings.Cut(m[2], "CMD ")
			if ok {
				health = execArgs(after)
			}
		case "ENTRYPOINT":
			entry = execArgs(m[2])
		case "CMD":
			cmd = execArgs(m[2])
		}
	}
	if stages < 2 {
		errs = append(errs, fmt.Errorf("the Dockerfile: %d stages, want a build stage and a runtime stage", stages))
	}
	if !regexp.MustCompile(`CGO_ENABLED=0`).MatchString(text) {
		errs = append(errs, fmt.Errorf("the Dockerfile: the build does not set CGO_ENABLED=0 (a static binary)"))
	}
	uid, _, _ := strings.Cut(user, ":")
	if uid == "" || uid == "0" || uid == "root" || strings.Trim(uid, "0123456789") != "" {
		errs = append(errs, fmt.Errorf("the Dockerfile: final stage USER %q; want a numeric non-root user", user))
	}
	if len(entry) != 1 || !strings.HasSuffix(entry[0], "/sluice") {
		errs = append(errs, fmt.Errorf("the Dockerfile: ENTRYPOINT %v; want the sluice binary", entry))
	}
	commands, err := b.Commands()
	if err != nil {
		return append(errs, err)
	}
	if len(health) < 2 || !strings.HasSuffix(health[0], "/sluice") || !commands[health[1]] {
		errs = append(errs, fmt.Errorf("the Dockerfile: HEALTHCHECK CMD %v runs no sluice command (have %v)", health, commands))
	} else {
		errs = append(errs, prefix("Dockerfile HEALTHCHECK", CheckInvocation(b, health[1:], env))...)
	}
	if len(cmd) == 0 || !commands[cmd[0]] {
		errs = append(errs, fmt.Errorf("the Dockerfile: CMD %v is no sluice command", cmd))
	} else {
		errs = append(errs, prefix("Dockerfile CMD", CheckInvocation(b, cmd, env))...)
	}
	return errs
}

func execArgs(s string) []string {
	var out []string
	for _, m := range execForm.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}
