package check

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// Binary is a built sluice binary the checks ask for its commands' flags.
type Binary string

var flagLine = regexp.MustCompile(`(?m)^  -([a-z0-9][a-z0-9-]*)`)

// Flags returns the flag names `sluice <command...> --help` prints.
func (b Binary) Flags(command ...string) (map[string]bool, error) {
	out, err := exec.Command(string(b), append(command, "--help")...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("sluice %s --help: %w: %s", strings.Join(command, " "), err, out)
	}
	flags := map[string]bool{}
	for _, m := range flagLine.FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	if len(flags) == 0 {
		return nil, fmt.Errorf("sluice %s --help printed no flags: %s", strings.Join(command, " "), out)
	}
	return flags, nil
}

// Commands returns the command names `sluice --help` lists.
func (b Binary) Commands() (map[string]bool, error) {
	out, err := exec.Command(string(b), "--help").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("sluice --help: %w: %s", err, out)
	}
	cmds := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z]+) `).FindAllStringSubmatch(string(out), -1) {
		cmds[m[1]] = true
	}
	return cmds, nil
}

// FlagOfEnv is the flag a SLUICE_* variable sets ("" for other variables):
// the inverse of internal/config.EnvName.
func FlagOfEnv(name string) string {
	rest, ok := strings.CutPrefix(name, "SLUICE_")
	if !ok {
		return ""
	}
	return strings.ToLower(strings.ReplaceAll(rest, "_", "-"))
}

// CheckInvocation checks that args (a sluice command line, the command
// first) and env name only flags that command defines.
func CheckInvocation(b Binary, args []string, env []string) []error {
	var command []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		command = append(command, a)
	}
	if len(command) == 0 {
		command = nil
	}
	flags, err := b.Flags(command...)
	if err != nil {
		return []error{err}
	}
	what := "sluice " + strings.Join(command, " ")
	var errs []error
	for _, a := range args[len(command):] {
		name, ok := strings.CutPrefix(a, "--")
		if !ok {
			if name, ok = strings.CutPrefix(a, "-"); !ok {
				continue // a value
			}
		}
		name, _, _ = strings.Cut(name, "=")
		if !flags[name] && name != "help" && name != "h" {
			errs = append(errs, fmt.Errorf("%s has no flag --%s", what, name))
		}
	}
	for _, e := range env {
		if f := FlagOfEnv(e); f != "" && !flags[f] {
			errs = append(errs, fmt.Errorf("%s has no flag --%s, so %s does nothing", what, f, e))
		}
	}
	return errs
}

// BuildSluice builds cmd/sluice of the repository at root into dir, in the
// workspace (so `make test` reuses the root module's build cache), or
// returns $SLUICE_BIN when set.
func BuildSluice(root, dir string) (Binary, error) {
	if bin := os.Getenv("SLUICE_BIN"); bin != "" {
		return Binary(bin), nil
	}
	out := dir + "/sluice"
	cmd := exec.Command("go", "build", "-o", out, "./cmd/sluice")
	cmd.Dir = root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOWORK=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sluice: %w: %s", err, b)
	}
	return Binary(out), nil
}
