package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	blobfs "github.com/sluice-mq/sluice/internal/blob/fs"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

// devDefaultListen is SQS emulators' customary port, on loopback only.
const devDefaultListen = "127.0.0.1:9324"

type devFlags struct {
	commonFlags
	data string
}

func newDevFlags() (*flag.FlagSet, *devFlags) {
	var f devFlags
	fs := flag.NewFlagSet("sluice dev", flag.ContinueOnError)
	f.register(fs, devDefaultListen)
	fs.StringVar(&f.data, "data", ".sluice", "directory for the store and blobs; created if missing")
	return fs, &f
}

// runDev runs every role in one process on the local Pebble store and a
// blob directory, both under --data.
func runDev(ctx context.Context, env environment, args []string) error {
	fs, f := newDevFlags()
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	log, err := f.logger(env)
	if err != nil {
		return err
	}
	dataDir, err := prepareDataDir(f.data)
	if err != nil {
		return err
	}
	kvDir, blobDir := filepath.Join(dataDir, "kv"), filepath.Join(dataDir, "blobs")
	store, err := local.Open(kvDir, local.Options{Logger: log, Setting: "--data"})
	if err != nil {
		return err
	}
	defer closeLogged(log, "kv store", store.Close)
	blobs, err := blobfs.Open(blobDir)
	if err != nil {
		return fmt.Errorf("blob directory (--data): %w", err)
	}
	defer closeLogged(log, "blob store", blobs.Close)

	l, err := listen(f.listen)
	if err != nil {
		return err
	}
	n := &node{kv: store, blobs: blobs, log: log}
	endpoint := "http://" + l.Addr().String()
	log.Info("sluice dev started", "endpoint", endpoint, "store", kvDir, "blobs", blobDir)
	fmt.Fprintf(env.stdout, `Sluice dev is running.
  endpoint:  %s
  health:    %s/healthz
  store:     %s (Pebble, fsync on commit)
  blobs:     %s
Stop it with Ctrl-C.
`, endpoint, endpoint, kvDir, blobDir)
	return serveHTTP(ctx, l, n.routes(), log)
}

// prepareDataDir creates dir if needed and returns its absolute path. It
// refuses a path that is a file.
func prepareDataDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("--data %q: %w", dir, err)
	}
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(abs, 0o750); err != nil {
			return "", fmt.Errorf("--data: create %s: %w", abs, err)
		}
	case err != nil:
		return "", fmt.Errorf("--data: %w", err)
	case !info.IsDir():
		return "", fmt.Errorf("--data: %s is a file, not a directory", abs)
	}
	return abs, nil
}
