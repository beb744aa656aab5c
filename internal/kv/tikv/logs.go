package tikv

import (
	"sync"

	pingcaplog "github.com/pingcap/log"
	"go.uber.org/zap/zapcore"
)

var quietOnce sync.Once

// quietClientLogs lowers client-go's process-wide zap logger to warnings:
// at info level it prints routine region and store changes to stdout,
// which would drown Sluice's own structured logs.
func quietClientLogs() {
	quietOnce.Do(func() { pingcaplog.SetLevel(zapcore.WarnLevel) })
}
