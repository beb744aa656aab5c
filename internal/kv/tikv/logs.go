package tikv

import (
	"os"
	"sync"

	pingcaplog "github.com/pingcap/log"
	"go.uber.org/zap/zapcore"
)

var quietOnce sync.Once

// quietClientLogs sends client-go's process-wide zap logger to stderr at
// warning level: by default it prints routine region and store changes to
// stdout, mixed into whatever the command prints there.
func quietClientLogs() {
	quietOnce.Do(func() {
		cfg := &pingcaplog.Config{Level: "warn"}
		logger, props, err := pingcaplog.InitLoggerWithWriteSyncer(cfg, zapcore.AddSync(os.Stderr), zapcore.AddSync(os.Stderr))
		if err != nil {
			pingcaplog.SetLevel(zapcore.WarnLevel)
			return
		}
		pingcaplog.ReplaceGlobals(logger, props)
	})
}
