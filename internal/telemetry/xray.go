package telemetry

import (
	"encoding/hex"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// The X-Ray trace header (SQS's AWSTraceHeader system attribute, HTTP's
// X-Amzn-Trace-Id) is
//
//	Root=1-{8 hex: epoch seconds}-{24 hex};Parent={16 hex};Sampled={0|1}
//
// in any order, with other fields allowed. A W3C trace id is the 8 + 24 hex
// digits of Root; the span id is Parent. This is the mapping of the X-Ray
// propagator in opentelemetry-go-contrib (whose module is deprecated, so
// Sluice keeps the few lines here).

// ParseXRay returns the remote span context an X-Ray trace header names;
// false when it names none (no Root or Parent, or malformed).
func ParseXRay(header string) (trace.SpanContext, bool) {
	var cfg trace.SpanContextConfig
	var haveRoot, haveParent bool
	for part := range strings.SplitSeq(header, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "Root":
			// 1-{8}-{24}
			if len(v) != 35 || v[0] != '1' || v[1] != '-' || v[10] != '-' {
				return trace.SpanContext{}, false
			}
			b, err := hex.DecodeString(v[2:10] + v[11:])
			if err != nil {
				return trace.SpanContext{}, false
			}
			copy(cfg.TraceID[:], b)
			haveRoot = true
		case "Parent":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != 8 {
				return trace.SpanContext{}, false
			}
			copy(cfg.SpanID[:], b)
			haveParent = true
		case "Sampled":
			if v == "1" {
				cfg.TraceFlags = trace.FlagsSampled
			}
		}
	}
	if !haveRoot || !haveParent {
		return trace.SpanContext{}, false
	}
	cfg.Remote = true
	sc := trace.NewSpanContext(cfg)
	return sc, sc.IsValid()
}

// FormatXRay writes sc as an X-Ray trace header; "" for an invalid one.
func FormatXRay(sc trace.SpanContext) string {
	if !sc.IsValid() {
		return ""
	}
	tid := sc.TraceID().String()
	sampled := "0"
	if sc.IsSampled() {
		sampled = "1"
	}
	return "Root=1-" + tid[:8] + "-" + tid[8:] + ";Parent=" + sc.SpanID().String() + ";Sampled=" + sampled
}
