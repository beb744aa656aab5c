package tenants

import (
	"errors"
	"fmt"
)

var (
	// ErrTenantNotFound: no tenant has the account id.
	ErrTenantNotFound = errors.New("tenants: tenant not found")
	// ErrTenantExists: CreateTenant was given an account id already taken.
	ErrTenantExists = errors.New("tenants: tenant already exists")
	// ErrAccessKeyNotFound: no access key has the id, or it belongs to
	// another account than the one named (which is not revealed).
	ErrAccessKeyNotFound = errors.New("tenants: access key not found")
	// ErrAccessKeyExists: ImportAccessKey was given an id that is already
	// in use by another account or with another secret.
	ErrAccessKeyExists = errors.New("tenants: access key id already in use")
	// ErrInvalidInput is matched (errors.Is) by every *InvalidInputError.
	ErrInvalidInput = errors.New("tenants: invalid input")
)

// InvalidInputError reports an argument that fails validation; nothing was
// changed. errors.Is(err, ErrInvalidInput) holds for it.
type InvalidInputError struct {
	Field  string // the argument, e.g. "account id"
	Reason string // what is wrong with it, for the caller to read
}

func (e *InvalidInputError) Error() string {
	return fmt.Sprintf("tenants: invalid %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidInput) hold.
func (e *InvalidInputError) Is(target error) bool { return target == ErrInvalidInput }

func invalid(field, format string, args ...any) error {
	return &InvalidInputError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
