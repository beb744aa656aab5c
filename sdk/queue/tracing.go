package queue

import (
	"context"
	"encoding/hex"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// traceHeaderFrom renders the span in ctx as an AWSTraceHeader, X-Ray's
// format, which is what SQS and its consumers expect in that attribute:
// Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>. The 32 hex
// digits of an OpenTelemetry trace id map onto the root's two parts.
func traceHeaderFrom(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	tid, sid := sc.TraceID().String(), sc.SpanID().String()
	sampled := "0"
	if sc.IsSampled() {
		sampled = "1"
	}
	return "Root=1-" + tid[:8] + "-" + tid[8:] + ";Parent=" + sid + ";Sampled=" + sampled
}

// spanContextFrom parses an AWSTraceHeader into a remote span context; ok
// is false when it holds no usable root and parent.
func spanContextFrom(header string) (sc trace.SpanContext, ok bool) {
	var cfg trace.SpanContextConfig
	for part := range strings.SplitSeq(header, ";") {
		key, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch key {
		case "Root":
			// 1-<8 hex epoch>-<24 hex>
			if len(value) != 35 || value[:2] != "1-" || value[10] != '-' {
				return sc, false
			}
			if _, err := hex.Decode(cfg.TraceID[:4], []byte(value[2:10])); err != nil {
				return sc, false
			}
			if _, err := hex.Decode(cfg.TraceID[4:], []byte(value[11:])); err != nil {
				return sc, false
			}
		case "Parent":
			if len(value) != 16 {
				return sc, false
			}
			if _, err := hex.Decode(cfg.SpanID[:], []byte(value)); err != nil {
				return sc, false
			}
		case "Sampled":
			if value == "1" {
				cfg.TraceFlags = trace.FlagsSampled
			}
		}
	}
	cfg.Remote = true
	sc = trace.NewSpanContext(cfg)
	return sc, sc.IsValid()
}
