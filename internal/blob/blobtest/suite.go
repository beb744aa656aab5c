// Package blobtest holds the conformance suite every blob.Store driver must
// pass, and helpers to run an S3 server (versitygw) for driver tests.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sluice-mq/sluice/internal/blob"
)

// conformanceTest checks one property of a store. Each test writes only
// keys under its own prefix, so all of them can share one bucket.
type conformanceTest struct {
	name string
	run  func(t *testing.T, s blob.Store, prefix string)
}

var conformanceTests = []conformanceTest{
	{"RoundTrip", testRoundTrip},
	{"Overwrite", testOverwrite},
	{"Stat", testStat},
	{"GetRange", testGetRange},
	{"Missing", testMissing},
	{"Delete", testDelete},
	{"ListOrder", testListOrder},
	{"ListPrefix", testListPrefix},
	{"ListPagination", testListPagination},
	{"ListStartAfter", testListStartAfter},
	{"InvalidKeys", testInvalidKeys},
	{"ConcurrentPuts", testConcurrentPuts},
	{"ContextCanceled", testContextCanceled},
}

// Run runs the conformance suite as subtests of t. open is called once per
// subtest; the stores it returns may share one bucket or directory, since
// every subtest uses its own key prefix. Run closes each store when its
// subtest ends.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	for _, tc := range conformanceTests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.run(t, s, "blobtest-"+strings.ToLower(tc.name)+"/")
		})
	}
}

func mustPut(t *testing.T, s blob.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(t.Context(), key, data); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func mustGet(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	data, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return data
}

func checkContent(t *testing.T, s blob.Store, key string, want []byte) {
	t.Helper()
	if got := mustGet(t, s, key); !bytes.Equal(got, want) {
		t.Errorf("Get(%q) = %d bytes %.16q..., want %d bytes %.16q...", key, len(got), got, len(want), want)
	}
}

func checkNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("%s: err = %v, want blob.ErrNotFound", what, err)
	}
}

// listAll follows Next until the last page and returns every key.
func listAll(t *testing.T, s blob.Store, opts blob.ListOptions) []string {
	t.Helper()
	var keys []string
	for range 10_000 {
		page, err := s.List(t.Context(), opts)
		if err != nil {
			t.Fatalf("List(%+v): %v", opts, err)
		}
		for _, o := range page.Objects {
			keys = append(keys, o.Key)
		}
		if page.Next == "" {
			return keys
		}
		opts.StartAfter = page.Next
	}
	t.Fatalf("List(%+v): pagination did not end", opts)
	return nil
}

// ctxCanceled returns a context that is already canceled.
func ctxCanceled(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}
