package localfault

import (
	"path/filepath"
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// WALSyncFS is a file system over another whose write-ahead log files call
// BeforeSync before each of their syncs: for a test to count the log's
// syncs, slow them down as a disk would, or hold them back.
type WALSyncFS struct {
	vfs.FS
	BeforeSync func()
}

// wrap hooks f's syncs when name is a log file (Pebble's NNNNNN.log).
func (fs *WALSyncFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil || !strings.HasSuffix(filepath.Base(name), ".log") {
		return f, err
	}
	return walSyncFile{File: f, before: fs.BeforeSync}, nil
}

func (fs *WALSyncFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, category)
	return fs.wrap(name, f, err)
}

// ReuseForWrite hooks a recycled log file too.
func (fs *WALSyncFS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, category)
	return fs.wrap(newname, f, err)
}

type walSyncFile struct {
	vfs.File
	before func()
}

func (f walSyncFile) Sync() error {
	f.before()
	return f.File.Sync()
}

func (f walSyncFile) SyncData() error {
	f.before()
	return f.File.SyncData()
}
