package local

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sluice-mq/sluice/internal/kv"
)

// ErrNoSpace is wrapped by every write refused because the store's disk is
// full. Writes resume by themselves once the disk has room for the
// ballast again; nothing acknowledged is lost.
var ErrNoSpace = fmt.Errorf("local kv: the store's disk is full; writes resume when space is freed: %w", kv.ErrUnavailable)

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

// space keeps a ballast file of reserve bytes in the store's directory.
// When Pebble gets ENOSPC, Pebble's vfs.OnDiskFull hook deletes the
// ballast before the failed operation is retried once, so Pebble finishes
// that operation instead of failing its log (a failure in a WAL rotation
// is a Go fatal error in Pebble, which no recover catches), and the store
// refuses writes with ErrNoSpace until the disk has room for the ballast
// and the reserve again. The technique is CockroachDB's.
type space struct {
	fs      vfs.FS // under the disk-full hook: its calls never block on it
	dir     string
	path    string
	reserve int64

	full atomic.Bool // set by the hook, cleared once the ballast is back

	mu         sync.Mutex
	hasBallast bool
	lastCheck  time.Time
	lastErr    error
}

func newSpace(fs vfs.FS, dir string, reserve int64) *space {
	return &space{fs: fs, dir: dir, path: fs.PathJoin(dir, ballastName), reserve: reserve}
}

// onDiskFull is Pebble's disk-full hook. Every write in the store's file
// system waits while it runs, so it only deletes a file.
func (sp *space) onDiskFull() {
	sp.full.Store(true)
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.hasBallast && sp.fs.Remove(sp.path) == nil {
		sp.hasBallast = false
	}
	sp.lastCheck = time.Time{}
}

// check returns nil when writes may go ahead, else an error wrapping
// ErrNoSpace. While the disk is full it looks at free space at most every
// spaceRecheck, unless force.
func (sp *space) check(force bool) error {
	if !sp.full.Load() {
		return nil
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if !force && time.Since(sp.lastCheck) < spaceRecheck && sp.lastErr != nil {
		return sp.lastErr
	}
	sp.lastCheck = time.Now()
	sp.lastErr = sp.restoreLocked()
	if sp.lastErr == nil {
		sp.full.Store(false)
	}
	return sp.lastErr
}

// restoreLocked puts the ballast back once the disk has room for it and
// for the reserve beside it.
func (sp *space) restoreLocked() error {
	usage, err := sp.fs.GetDiskUsage(sp.dir)
	if err != nil {
		return fmt.Errorf("%w: free space of %s: %w", ErrNoSpace, sp.dir, err)
	}
	need := uint64(sp.reserve)
	if !sp.hasBallast {
		need += uint64(sp.reserve)
	}
	if usage.AvailBytes < need {
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
// blocks without writing them (fallocate on Linux; elsewhere Pebble's
// Preallocate does nothing and the ballast frees nothing).
func (sp *space) createBallastLocked() error {
	if sp.reserve <= 0 {
		return nil
	}
	f, err := sp.fs.Create(sp.path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	err = f.Preallocate(0, sp.reserve)
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

// resetBallast creates the ballast when the store opens, replacing one a
// previous run left; a disk too full for it starts the store refusing
// writes, as a full disk later would.
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
		sp.full.Store(true)
	}
	return nil
}
