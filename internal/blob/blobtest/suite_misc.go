package blobtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sluice-mq/sluice/internal/blob"
)

func testInvalidKeys(t *testing.T, s blob.Store, prefix string) {
	invalid := []string{
		"", "..", ".", "../escape", prefix + "../escape", "/abs", "a//b", "a/./b", "a/../b",
		"trailing/", "back\\slash", "nul\x00byte", "\xff\xfe",
	}
	for _, key := range invalid {
		errs := map[string]error{"Put": s.Put(t.Context(), key, []byte("x")), "Delete": s.Delete(t.Context(), key)}
		_, errs["Get"] = s.Get(t.Context(), key)
		_, errs["GetRange"] = s.GetRange(t.Context(), key, 0, 1)
		_, errs["Stat"] = s.Stat(t.Context(), key)
		for op, err := range errs {
			if !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("%s(%q): err = %v, want blob.ErrInvalidKey", op, key, err)
			}
		}
	}
}

func testConcurrentPuts(t *testing.T, s blob.Store, prefix string) {
	const writers, perWriter = 8, 4
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				// Writers share directories, so fs drivers race on creating them.
				key := fmt.Sprintf("%sshared/%d/w%d", prefix, i, w)
				if err := s.Put(t.Context(), key, []byte(key)); err != nil {
					errs <- fmt.Errorf("Put(%q): %w", key, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	keys := listAll(t, s, blob.ListOptions{Prefix: prefix})
	if len(keys) != writers*perWriter {
		t.Fatalf("List found %d keys, want %d", len(keys), writers*perWriter)
	}
	for _, key := range keys {
		checkContent(t, s, key, []byte(key))
	}
}

func testContextCanceled(t *testing.T, s blob.Store, prefix string) {
	key := prefix + "obj"
	mustPut(t, s, prefix+"existing", []byte("x"))
	ctx := ctxCanceled(t)

	errs := map[string]error{
		"Put":    s.Put(ctx, key, []byte("never stored")),
		"Delete": s.Delete(ctx, prefix+"existing"),
	}
	_, errs["Get"] = s.Get(ctx, prefix+"existing")
	_, errs["GetRange"] = s.GetRange(ctx, prefix+"existing", 0, 1)
	_, errs["Stat"] = s.Stat(ctx, prefix+"existing")
	_, errs["List"] = s.List(ctx, blob.ListOptions{Prefix: prefix})
	for op, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: err = %v, want context.Canceled", op, err)
		}
	}
	_, err := s.Stat(t.Context(), key)
	checkNotFound(t, "Stat after canceled Put", err)
	if _, err := s.Stat(t.Context(), prefix+"existing"); err != nil {
		t.Errorf("Stat after canceled Delete: %v", err)
	}
}
