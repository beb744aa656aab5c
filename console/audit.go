package console

import (
	"log/slog"
	"net/http"
)

// auditor writes one record per console action, in one shape: msg
// "console audit", then who (role, tenant, token id), what (action,
// account, target), the outcome (ok, or the error code) and from where;
// slog adds when.
type auditor struct{ log *slog.Logger }

func (a auditor) record(r *http.Request, s *session, action, target string, err error) {
	attrs := []slog.Attr{slog.String("action", action)}
	if s != nil && s.Claims != nil {
		attrs = append(attrs, slog.Group("who", "role", string(s.Claims.Role), "tenant", s.Claims.Tenant, "token", s.Claims.ID))
	} else {
		attrs = append(attrs, slog.Group("who", "role", "anonymous"))
	}
	if account := r.PathValue("account"); account != "" {
		attrs = append(attrs, slog.String("account", account))
	}
	if target != "" {
		attrs = append(attrs, slog.String("target", target))
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
		if pe, ok := asPageError(err); ok {
			outcome = pe.Code
		}
	}
	attrs = append(attrs, slog.String("outcome", outcome), slog.String("remote", r.RemoteAddr))
	a.log.LogAttrs(r.Context(), slog.LevelInfo, "console audit", attrs...)
}
