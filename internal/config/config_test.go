package config_test

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/internal/config"
)

type settings struct {
	bucket string
	pd     string
	port   int
	file   string
}

func newFlags() (*flag.FlagSet, *settings) {
	s := &settings{}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&s.bucket, "s3-bucket", "default-bucket", "")
	fs.StringVar(&s.pd, "pd", "", "")
	fs.IntVar(&s.port, "port", 1, "")
	fs.StringVar(&s.file, config.FileFlag, "", "")
	return fs, s
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeYAML(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPrecedence(t *testing.T) {
	path := writeYAML(t, "s3-bucket: from-file\npd: [pd1:2379, pd2:2379]\nport: 7\n")
	fs, s := newFlags()
	err := config.Parse(fs, []string{"--config", path, "--port", "9"}, env(map[string]string{"SLUICE_S3_BUCKET": "from-env"}))
	if err != nil {
		t.Fatal(err)
	}
	if s.port != 9 || s.bucket != "from-env" || s.pd != "pd1:2379,pd2:2379" {
		t.Fatalf("got %+v", *s)
	}
}

func TestDefaultsStay(t *testing.T) {
	fs, s := newFlags()
	if err := config.Parse(fs, nil, env(nil)); err != nil {
		t.Fatal(err)
	}
	if s.bucket != "default-bucket" || s.port != 1 {
		t.Fatalf("got %+v", *s)
	}
}

func TestConfigFileFromEnv(t *testing.T) {
	path := writeYAML(t, "s3-bucket: b\n")
	fs, s := newFlags()
	if err := config.Parse(fs, nil, env(map[string]string{"SLUICE_CONFIG": path})); err != nil {
		t.Fatal(err)
	}
	if s.bucket != "b" {
		t.Fatalf("got %+v", *s)
	}
}

func TestErrorsNameTheSetting(t *testing.T) {
	cases := []struct {
		name, yaml string
		env        map[string]string
		want       string
	}{
		{"unknown key", "s3-bukket: x\n", nil, `unknown setting "s3-bukket"`},
		{"bad value in file", "port: many\n", nil, "port"},
		{"bad value in env", "", map[string]string{"SLUICE_PORT": "many"}, "SLUICE_PORT"},
		{"nested", "s3:\n  bucket: x\n", nil, "nested"},
		{"not yaml", "s3-bucket: [unclosed\n", nil, "sluice.yaml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs, _ := newFlags()
			path := writeYAML(t, tc.yaml)
			err := config.Parse(fs, []string{"--config", path}, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
	fs, _ := newFlags()
	err := config.Parse(fs, []string{"--config", "/nonexistent/sluice.yaml"}, env(nil))
	if err == nil || !strings.Contains(err.Error(), "--config") {
		t.Fatalf("missing file: got %v", err)
	}
}

func TestEnvName(t *testing.T) {
	if got := config.EnvName("s3-access-key"); got != "SLUICE_S3_ACCESS_KEY" {
		t.Fatal(got)
	}
}
