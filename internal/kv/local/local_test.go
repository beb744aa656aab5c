package local_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv"
	"github.com/sluice-mq/sluice/internal/kv/local"
)

func TestOpenRefusesAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := local.Open(path, local.Options{Setting: "--data"})
	if err == nil || !strings.Contains(err.Error(), "--data") || !strings.Contains(err.Error(), "is a file") {
		t.Fatalf("want an error naming --data and the file, got %v", err)
	}
}

func TestOpenRefusesAForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := local.Open(dir, local.Options{})
	if err == nil || !strings.Contains(err.Error(), "--data") || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("want an error naming --data, got %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("Open wrote into a foreign directory: %d entries", len(entries))
	}
}

func TestOpenRefusesAStoreInUse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kv")
	s, err := local.Open(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	done := make(chan error, 1)
	go func() {
		s2, err := local.Open(dir, local.Options{})
		if err == nil {
			s2.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "--data") {
			t.Fatalf("second open of a store in use: want an error naming --data, got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second open of a store in use hung")
	}
}

func TestReopenKeepsData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kv")
	s, err := local.Open(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Update(ctx, func(tx kv.Txn) error { return tx.Set([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = local.Open(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(r kv.Reader) error {
		v, err := r.Get(ctx, []byte("k"))
		if err == nil && string(v) != "v" {
			err = fmt.Errorf("k = %q", v)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// crashWriterEnv makes the test binary act as a writer that commits pairs
// of keys from several goroutines and prints each acknowledged commit.
const crashWriterEnv = "SLUICE_KV_CRASH_WRITER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashWriterEnv); dir != "" {
		os.Exit(runCrashWriter(dir))
	}
	os.Exit(m.Run())
}

func runCrashWriter(dir string) int {
	s, err := local.Open(dir, local.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	acks := make(chan string, 64)
	for w := range 4 {
		go func() {
			for i := 0; ; i++ {
				id := fmt.Sprintf("%d-%07d", w, i)
				err := s.Update(context.Background(), func(tx kv.Txn) error {
					if err := tx.Set([]byte("a/"+id), []byte(id)); err != nil {
						return err
					}
					return tx.Set([]byte("b/"+id), []byte(id))
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				acks <- id
			}
		}()
	}
	out := bufio.NewWriter(os.Stdout)
	for id := range acks {
		fmt.Fprintln(out, id)
		if len(acks) == 0 {
			out.Flush()
		}
	}
	return 0
}

// A writer killed with SIGKILL in the middle of a stream of commits must
// not lose any commit it acknowledged, nor half of any transaction.
func TestSIGKILLLosesNoAcknowledgedCommit(t *testing.T) {
	for round := range 3 {
		t.Run(strconv.Itoa(round), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "kv")
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), crashWriterEnv+"="+dir)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			acked := map[string]bool{}
			lines := bufio.NewScanner(stdout)
			for lines.Scan() && len(acked) < 300+200*round {
				acked[lines.Text()] = true
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			for lines.Scan() { // acks printed before the kill landed
				if l := lines.Text(); len(l) == len("0-0000000") {
					acked[l] = true
				}
			}
			_ = cmd.Wait()
			if len(acked) < 300 {
				t.Fatalf("writer acknowledged only %d commits", len(acked))
			}

			s, err := local.Open(dir, local.Options{})
			if err != nil {
				t.Fatalf("reopen after SIGKILL: %v", err)
			}
			defer s.Close()
			ctx := context.Background()
			err = s.View(ctx, func(r kv.Reader) error {
				as, err := r.Scan(ctx, []byte("a/"), []byte("a0"), 0)
				if err != nil {
					return err
				}
				bs, err := r.Scan(ctx, []byte("b/"), []byte("b0"), 0)
				if err != nil {
					return err
				}
				if len(as) != len(bs) {
					return fmt.Errorf("torn transactions: %d a-keys, %d b-keys", len(as), len(bs))
				}
				present := map[string]bool{}
				for _, p := range as {
					present[string(p.Value)] = true
				}
				for id := range acked {
					if !present[id] {
						return fmt.Errorf("acknowledged commit %s lost (%d acked, %d present)", id, len(acked), len(present))
					}
				}
				t.Logf("%d commits acknowledged before SIGKILL, %d present after reopen", len(acked), len(present))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestUpdateAfterCloseFails(t *testing.T) {
	s, err := local.Open(filepath.Join(t.TempDir(), "kv"), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx kv.Txn) error { return tx.Set([]byte("k"), []byte("v")) })
	if !errors.Is(err, local.ErrClosed) {
		t.Fatalf("update after close: want ErrClosed, got %v", err)
	}
}

// A lazy commit is visible at once and survives a restart once a durable
// commit follows it.
func TestUpdateLazy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kv")
	s, err := local.Open(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := kv.UpdateLazy(ctx, s, func(tx kv.Txn) error { return tx.Set([]byte("lazy"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	read := func(s kv.Store, key string) string {
		t.Helper()
		var got []byte
		err := s.View(ctx, func(r kv.Reader) error {
			v, err := r.Get(ctx, []byte(key))
			got = v
			return err
		})
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		return string(got)
	}
	if read(s, "lazy") != "1" {
		t.Fatal("lazy commit not visible")
	}
	if err := s.Update(ctx, func(tx kv.Txn) error { return tx.Set([]byte("durable"), []byte("2")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := kv.UpdateLazy(ctx, s, func(kv.Txn) error { return nil }); !errors.Is(err, local.ErrClosed) {
		t.Fatalf("UpdateLazy after Close = %v", err)
	}
	s, err = local.Open(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if read(s, "lazy") != "1" || read(s, "durable") != "2" {
		t.Fatal("commits lost across a restart")
	}
}
