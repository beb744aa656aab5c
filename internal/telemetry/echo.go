package telemetry

import (
	"strconv"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// EchoMiddleware makes one SERVER span per control-plane route, named
// "{method} {route}" (the route template, never the path, so ids do not
// multiply span names), parented to the request's W3C traceparent.
// Requests that match no route (the SQS API, served on "/" and "/*") are
// left to the SQS handler's own spans; so is /healthz.
func EchoMiddleware(t *Telemetry, skip func(route string) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if !t.Tracing() {
			return next
		}
		tracer, prop := t.Tracer(), t.Propagator()
		return func(c echo.Context) error {
			route := c.Path()
			if skip != nil && skip(route) {
				return next(c)
			}
			r := c.Request()
			ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx, span := tracer.Start(ctx, r.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("http.route", route)))
			defer span.End()
			c.SetRequest(r.WithContext(ctx))
			err := next(c)
			status := c.Response().Status
			if err != nil {
				if he, ok := err.(*echo.HTTPError); ok {
					status = he.Code
				} else {
					status = 500
				}
			}
			span.SetAttributes(attribute.Int("http.response.status_code", status))
			if status >= 500 {
				span.SetStatus(codes.Error, strconv.Itoa(status))
				span.SetAttributes(attribute.String("error.type", strconv.Itoa(status)))
			}
			return err
		}
	}
}
