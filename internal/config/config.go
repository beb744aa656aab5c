// Package config fills a flag set from, in order of precedence, the command
// line, SLUICE_* environment variables and an optional YAML file, so every
// setting has one name in all three places: flag --s3-bucket, variable
// SLUICE_S3_BUCKET, YAML key s3-bucket.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FileFlag is the flag that names the YAML file.
const FileFlag = "config"

// EnvName is the environment variable for a flag: SLUICE_ and the flag's
// name in upper case with dashes as underscores.
func EnvName(flagName string) string {
	return "SLUICE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse parses args into fs, then sets every flag the command line left
// alone from getenv, then from the YAML file named by the -config flag (or
// its variable), if fs defines that flag. Unknown YAML keys are errors, so
// a misspelt setting is not silently ignored.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })

	var errs []error
	fromEnv := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		if explicit[f.Name] {
			return
		}
		if v, ok := lookup(getenv, EnvName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", EnvName(f.Name), err))
			}
			fromEnv[f.Name] = true
		}
	})
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	file := fs.Lookup(FileFlag)
	if file == nil || file.Value.String() == "" {
		return nil
	}
	values, err := readFile(file.Value.String())
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(values))
	for key := range values {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		f := fs.Lookup(key)
		if f == nil || key == FileFlag {
			errs = append(errs, fmt.Errorf("%s: unknown setting %q", file.Value, key))
			continue
		}
		if explicit[key] || fromEnv[key] {
			continue
		}
		if err := fs.Set(key, values[key]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", file.Value, key, err))
		}
	}
	return errors.Join(errs...)
}

func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// readFile reads a flat YAML mapping; lists become comma-separated values.
func readFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file (--%s): %w", FileFlag, err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	out := make(map[string]string, len(raw))
	for key, v := range raw {
		switch v := v.(type) {
		case []any:
			parts := make([]string, len(v))
			for i, p := range v {
				parts[i] = fmt.Sprint(p)
			}
			out[key] = strings.Join(parts, ",")
		case map[string]any:
			return nil, fmt.Errorf("config file %s: %s: nested settings are not supported", path, key)
		case nil:
			out[key] = ""
		default:
			out[key] = fmt.Sprint(v)
		}
	}
	return out, nil
}
