package enginechaos

import (
	"fmt"
	"os"
	"testing"

	"github.com/sluice-mq/sluice/internal/kv/kvfault"
)

// TestMain lets client-go find the mock store alive again after injected
// connection failures, as it would find a real TiKV that came back.
func TestMain(m *testing.M) {
	restore, err := kvfault.ReportStoresLive()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	restore()
	os.Exit(code)
}
