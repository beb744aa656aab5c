package kv_test

import (
	"testing"

	"github.com/sluice-mq/sluice/internal/kv/kvtest"
)

func TestConformance(t *testing.T) {
	for _, d := range kvtest.Drivers() {
		t.Run(d.Name, func(t *testing.T) { kvtest.Run(t, d.Open) })
	}
}
