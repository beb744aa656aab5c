package engine

import "github.com/sluice-mq/sluice/data-plane/sqserr"

// errorf is sqserr.Errorf, short for the engine's many SQS errors.
func errorf(code, format string, args ...any) *sqserr.Error {
	return sqserr.Errorf(code, format, args...)
}
