package local

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sluice-mq/sluice/internal/kv"
)

// ErrNoSpace is wrapped by every write refused because the store's disk is
// full. Writes resume by themselves once the disk has room for the
// ballast again; nothing acknowledged is lost.
var ErrNoSpace error = unavailable("local kv: the store's disk is full; writes resume when space is freed")

// unavailable is a sentinel error that is also kv.ErrUnavailable, so the
// API answers it as a temporary failure.
type unavailable string

func (e unavailable) Error() string        { return string(e) }
func (e unavailable) Is(target error) bool { return target == kv.ErrUnavailable }

const (
	// defaultReserveBytes sizes the ballast: room for Pebble to finish what
	// it was writing (a WAL rotation, a flush, a MANIFEST edit) when the
	// disk fills.
	defaultReserveBytes = 64 << 20
	ballastName         = "sluice-ballast"
	// spaceRecheck bounds how often a refused writer asks the file system
	// for free space.
	spaceRecheck = 100 * time.Millisecond
)

// space keeps the store off a full disk, two ways. A guard refuses writes
// with ErrNoSpace while free space is under the reserve, looking at most
// every spaceRecheck, so Pebble itself should never meet ENOSPC (etcd and
// CockroachDB refuse writes the same way). For what the guard misses — a
// disk filled between two looks, Pebble's own flushes and compactions —
// a ballast file of reserve bytes waits in the store's directory: on
// Pebble's first ENOSPC, Pebble's vfs.OnDiskFull hook deletes it before
// the failed operation is retried once, so Pebble finishes that operation
// instead of failing its log (a failure in a WAL rotation is a Go fatal
// error in Pebble, which no recover catches). Writes resume once the disk
// has room for the reserve and, if it is gone, the ballast.
type space struct {
	fs      vfs.FS // under the disk-full hook: its calls never block on it
	dir     string
	path    string
	reserve int64
	log     *slog.Logger

	mu         sync.Mutex
	hasBallast bool
	lastCheck  time.Time
	lastErr    error
}

func newSpace(fs vfs.FS, dir string, reserve int64, log *slog.Logger) *space {
	return &space{fs: fs, dir: dir, path: fs.PathJoin(dir, ballastName), reserve: reserve, log: log}
}

// onDiskFull is Pebble's disk-full hook. Every write in the store's file
// system waits while it runs, so it only deletes a file.
func (sp *space) onDiskFull() {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.hasBallast && sp.fs.Remove(sp.path) == nil {
		sp.hasBallast = false
	}
	sp.lastErr = fmt.Errorf("%w (Pebble met ENOSPC in %s)", ErrNoSpace, sp.dir)
	sp.lastCheck = time.Now()
}

// check returns nil when writes may go ahead, else an error wrapping
// ErrNoSpace. It looks at free space at most every spaceRecheck, unless
// force.
func (sp *space) check(force bool) error {
	if sp.reserve <= 0 {
		return nil
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if !force && time.Since(sp.lastCheck) < spaceRecheck {
		return sp.lastErr
	}
	sp.lastCheck = time.Now()
	was := sp.lastErr
	sp.lastErr = sp.restoreLocked()
	switch {
	case was == nil && sp.lastErr != nil:
		sp.log.Warn("local kv: refusing writes: the disk is full", "err", sp.lastErr)
	case was != nil && sp.lastErr == nil:
		sp.log.Info("local kv: writes resumed: the disk has room again", "dir", sp.dir)
	}
	return sp.lastErr
}

// restoreLocked checks free space against the reserve, and puts the
// ballast back once the disk has room for it and the reserve beside it.
func (sp *space) restoreLocked() error {
	need := uint64(sp.reserve)
	if !sp.hasBallast {
		need += uint64(sp.reserve)
	}
	// A file system that cannot tell its free space (an in-memory one)
	// has only the ballast: putting it back tells that space is back.
	usage, err := sp.fs.GetDiskUsage(sp.dir)
	if err == nil && usage.AvailBytes < need {
		return fmt.Errorf("%w (%d MiB free in %s, %d MiB needed)", ErrNoSpace, usage.AvailBytes>>20, sp.dir, need>>20)
	}
	if !sp.hasBallast {
		if err := sp.createBallastLocked(); err != nil {
			return fmt.Errorf("%w: put back the ballast: %w", ErrNoSpace, err)
		}
	}
	return nil
}

// createBallastLocked (re)creates the ballast. Preallocation reserves the
// blocks without writing them (fallocate on Linux); a file system that
// cannot preallocate gets zeros written instead. (Elsewhere than Linux
// Pebble's Preallocate does nothing and the ballast holds nothing: the
// guard alone keeps Pebble off ENOSPC there.)
func (sp *space) createBallastLocked() error {
	if sp.reserve <= 0 {
		return nil
	}
	f, err := sp.fs.Create(sp.path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	err = f.Preallocate(0, sp.reserve)
	if err != nil && !errors.Is(err, syscall.ENOSPC) {
		err = writeZeros(f, sp.reserve)
	}
	if err == nil {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close())
	if err != nil {
		_ = sp.fs.Remove(sp.path)
		return err
	}
	sp.hasBallast = true
	return nil
}

func writeZeros(f vfs.File, n int64) error {
	chunk := make([]byte, min(n, 1<<20))
	for n > 0 {
		w, err := f.Write(chunk[:min(n, int64(len(chunk)))])
		if err != nil {
			return err
		}
		n -= int64(w)
	}
	return nil
}

// resetBallast creates the ballast when the store opens, replacing one a
// previous run left; a disk too full for it leaves the store refusing
// writes until there is room.
func (sp *space) resetBallast() error {
	if sp.reserve <= 0 {
		return nil
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if err := sp.fs.Remove(sp.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("local kv: remove the old ballast: %w", err)
	}
	if err := sp.createBallastLocked(); err != nil {
		sp.lastErr = fmt.Errorf("%w: create the ballast: %w", ErrNoSpace, err)
		sp.lastCheck = time.Now()
	}
	return nil
}
