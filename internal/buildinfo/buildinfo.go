// Package buildinfo says which build of Sluice is running.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// version is set at link time: -ldflags "-X github.com/sluice-mq/sluice/internal/buildinfo.version=v1.2.3".
var version = ""

// Version returns the release version, or the module version, or "dev".
func Version() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

// GoVersion is the Go toolchain the binary was built with.
func GoVersion() string { return runtime.Version() }
