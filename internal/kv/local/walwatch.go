package local

import (
	"path/filepath"
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// walWatchFS reports every failed write or sync of a write-ahead log file
// before Pebble sees the error. Pebble keeps a log's first error and
// panics in the next commit that finds it, holding its commit lock for
// good (the database can then not even be closed). Pebble's log writer
// copies the error into the commit path only after the file call
// returned it, so a store that checks this report before each commit
// never starts one on a failed log.
type walWatchFS struct {
	vfs.FS
	onError func(error)
}

func isWAL(name string) bool { return strings.HasSuffix(filepath.Base(name), ".log") }

func (fs walWatchFS) watch(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !isWAL(name) {
		if err != nil && isWAL(name) {
			fs.onError(err)
		}
		return f, err
	}
	return walFile{File: f, onError: fs.onError}, nil
}

func (fs walWatchFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, category)
	return fs.watch(name, f, err)
}

func (fs walWatchFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, category)
	return fs.watch(newname, f, err)
}

func (fs walWatchFS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, category, opts...)
	return fs.watch(name, f, err)
}

func (fs walWatchFS) Unwrap() vfs.FS { return fs.FS }

type walFile struct {
	vfs.File
	onError func(error)
}

func (f walFile) report(err error) error {
	if err != nil {
		f.onError(err)
	}
	return err
}

func (f walFile) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	return n, f.report(err)
}

func (f walFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(p, off)
	return n, f.report(err)
}

func (f walFile) Sync() error     { return f.report(f.File.Sync()) }
func (f walFile) SyncData() error { return f.report(f.File.SyncData()) }

func (f walFile) SyncTo(length int64) (bool, error) {
	full, err := f.File.SyncTo(length)
	return full, f.report(err)
}
