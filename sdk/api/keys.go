package api

import "time"

// KeyStatus is whether an access key signs requests.
type KeyStatus string

// Access key statuses.
const (
	KeyActive   KeyStatus = "active"
	KeyInactive KeyStatus = "inactive"
)

// AccessKey is an SQS credential of a tenant.
type AccessKey struct {
	AccessKeyID string    `json:"accessKeyId"`
	AccountID   string    `json:"accountId"`
	Status      KeyStatus `json:"status"`
	CreatedAt   time.Time `json:"createdAt"`
	// SecretAccessKey is set only in the reply that creates the key; it
	// cannot be read again.
	SecretAccessKey string `json:"secretAccessKey,omitempty"`
}

// AccessKeyList is a tenant's access keys, without secrets.
type AccessKeyList struct {
	Keys []AccessKey `json:"keys"`
}

// UpdateAccessKeyRequest is the body of PATCH
// /v1/tenants/{account}/keys/{key}: it enables or disables the key.
type UpdateAccessKeyRequest struct {
	Status KeyStatus `json:"status"`
}
