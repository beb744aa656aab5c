// Package localfault injects file system faults under the local kv driver,
// for tests.
package localfault

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// SpaceFS is a file system over another whose free space is a counter, so
// a test can fill the disk and free it again the way a real one behaves:
// a write fails with ENOSPC only when it needs bytes the disk no longer
// has — overwriting a file's existing or preallocated bytes, renaming and
// creating empty files still succeed — and removing a file gives its bytes
// back. Only files written through it are counted.
type SpaceFS struct {
	vfs.FS
	// NoPreallocate makes Preallocate fail with EOPNOTSUPP, as on a file
	// system that cannot preallocate: every append then needs new bytes.
	// Set it before use.
	NoPreallocate bool

	mu         sync.Mutex
	free       int64
	hog        int64            // bytes taken by Fill, as by another process
	alloc      map[string]int64 // bytes charged per file
	enospc     int              // writes refused
	fillAtLook bool             // FillAtNextLook is armed
}

// NewSpaceFS wraps inner with free bytes of free space.
func NewSpaceFS(inner vfs.FS, free int64) *SpaceFS {
	return &SpaceFS{FS: inner, free: free, alloc: map[string]int64{}}
}

// Fill takes every free byte, as another process filling the disk would.
func (fs *SpaceFS) Fill() { fs.Leave(0) }

// FillAtNextLook fills the disk right after the next GetDiskUsage has
// answered with the space still free: a disk filled just after the
// store's free-space guard looked, so the guard's next look is as late as
// it can be and whoever writes before it meets ENOSPC. Release disarms it.
func (fs *SpaceFS) FillAtNextLook() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.fillAtLook = true
}

// Leave takes every free byte but n.
func (fs *SpaceFS) Leave(n int64) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if take := fs.free - n; take > 0 {
		fs.hog += take
		fs.free = n
	}
}

// ENOSPCs counts the writes refused for want of space.
func (fs *SpaceFS) ENOSPCs() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.enospc
}

// Release gives back what Fill took.
func (fs *SpaceFS) Release() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.free += fs.hog
	fs.hog = 0
	fs.fillAtLook = false
}

// Free is the free space left.
func (fs *SpaceFS) Free() int64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.free
}

// charge grows the bytes held by path to end, failing with ENOSPC when the
// disk has not that much left.
func (fs *SpaceFS) charge(path string, end int64) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	need := end - fs.alloc[path]
	if need <= 0 {
		return nil
	}
	if need > fs.free {
		fs.enospc++
		return &os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}
	}
	fs.free -= need
	fs.alloc[path] = end
	return nil
}

func (fs *SpaceFS) forget(path string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.free += fs.alloc[path]
	delete(fs.alloc, path)
}

func (fs *SpaceFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, category)
	if err != nil {
		return nil, err
	}
	name = filepath.Clean(name)
	fs.forget(name) // truncated
	return &spaceFile{File: f, fs: fs, path: name}, nil
}

func (fs *SpaceFS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, category, opts...)
	if err != nil {
		return nil, err
	}
	return &spaceFile{File: f, fs: fs, path: filepath.Clean(name)}, nil
}

func (fs *SpaceFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, category)
	if err != nil {
		return nil, err
	}
	fs.moved(oldname, newname)
	return &spaceFile{File: f, fs: fs, path: filepath.Clean(newname)}, nil
}

func (fs *SpaceFS) Rename(oldname, newname string) error {
	if err := fs.FS.Rename(oldname, newname); err != nil {
		return err
	}
	fs.moved(oldname, newname)
	return nil
}

func (fs *SpaceFS) moved(oldname, newname string) {
	oldname, newname = filepath.Clean(oldname), filepath.Clean(newname)
	fs.forget(newname) // replaced
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if n, ok := fs.alloc[oldname]; ok {
		fs.alloc[newname] = n
		delete(fs.alloc, oldname)
	}
}

func (fs *SpaceFS) Remove(name string) error {
	if err := fs.FS.Remove(name); err != nil {
		return err
	}
	fs.forget(filepath.Clean(name))
	return nil
}

func (fs *SpaceFS) RemoveAll(dir string) error {
	if err := fs.FS.RemoveAll(dir); err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for path, n := range fs.alloc {
		if path == dir || strings.HasPrefix(path, dir+string(filepath.Separator)) {
			fs.free += n
			delete(fs.alloc, path)
		}
	}
	return nil
}

// GetDiskUsage reports the counter as the free space.
func (fs *SpaceFS) GetDiskUsage(path string) (vfs.DiskUsage, error) {
	u, err := fs.FS.GetDiskUsage(path)
	if err != nil {
		return u, err
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	u.AvailBytes = uint64(fs.free)
	if fs.fillAtLook {
		fs.fillAtLook = false
		fs.hog += fs.free
		fs.free = 0
	}
	return u, nil
}

func (fs *SpaceFS) Unwrap() vfs.FS { return fs.FS }

type spaceFile struct {
	vfs.File
	fs     *SpaceFS
	path   string
	offset int64 // of sequential writes
}

func (f *spaceFile) Write(p []byte) (int, error) {
	if err := f.fs.charge(f.path, f.offset+int64(len(p))); err != nil {
		return 0, err
	}
	n, err := f.File.Write(p)
	f.offset += int64(n)
	return n, err
}

func (f *spaceFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.fs.charge(f.path, off+int64(len(p))); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}

func (f *spaceFile) Preallocate(off, length int64) error {
	if f.fs.NoPreallocate {
		return &os.PathError{Op: "fallocate", Path: f.path, Err: syscall.EOPNOTSUPP}
	}
	if err := f.fs.charge(f.path, off+length); err != nil {
		return err
	}
	return f.File.Preallocate(off, length)
}
