//go:build !linux

package httpserve

const quickAckSupported = false

func setQuickAck(uintptr) {}
