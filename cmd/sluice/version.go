package main

import (
	"fmt"

	"github.com/sluice-mq/sluice/internal/buildinfo"
)

func runVersion(env environment) error {
	_, err := fmt.Fprintf(env.stdout, "sluice %s (%s)\n", buildinfo.Version(), buildinfo.GoVersion())
	return err
}
