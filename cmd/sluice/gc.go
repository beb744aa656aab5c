package main

import (
	"log/slog"

	"github.com/sluice-mq/sluice/internal/gcpace"
)

// paceGC gives the Go collector a fixed heap headroom (package gcpace)
// unless GOGC is set; the returned func gives Go its own pacing back.
func paceGC(env environment, log *slog.Logger) (stop func()) {
	if !gcpace.Wanted(env.getenv) {
		log.Info("gc pacing: GOGC is set, Go's own pacing kept")
		return func() {}
	}
	p := gcpace.Start(gcpace.DefaultHeadroom)
	log.Debug("gc pacing", "headroom_bytes", gcpace.DefaultHeadroom)
	return p.Stop
}
