package tenants

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// recordVersion is written into every record as "v". Readers accept newer
// versions and ignore fields they do not know (plans and quotas will be
// added that way); writers change records with patchRecord so those fields
// survive an older node changing a status during a rolling upgrade.
const recordVersion = 1

type tenantRecord struct {
	V           int       `json:"v"`
	Name        string    `json:"name,omitempty"`
	Status      Status    `json:"status"`
	Plan        Plan      `json:"plan,omitempty"` // empty: DefaultPlan
	Quotas      Quotas    `json:"quotas"`
	Incarnation string    `json:"inc,omitempty"` // absent in records written before incarnations
	CreatedAt   time.Time `json:"created"`
	UpdatedAt   time.Time `json:"updated"`
}

type accessKeyRecord struct {
	V         int       `json:"v"`
	AccountID string    `json:"account"`
	Status    KeyStatus `json:"status"`
	CreatedAt time.Time `json:"created"`
	Sealed    []byte    `json:"sealed"` // seal.Seal(secret, aad = key id)
}

func encodeTenant(t Tenant) ([]byte, error) {
	return json.Marshal(tenantRecord{V: recordVersion, Name: t.Name, Status: t.Status, Plan: t.Plan, Quotas: t.Overrides,
		Incarnation: t.Incarnation, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt})
}

func decodeTenant(accountID string, raw []byte) (Tenant, error) {
	var r tenantRecord
	if err := decodeRecord(raw, &r, &r.V); err != nil {
		return Tenant{}, fmt.Errorf("tenants: tenant record %s: %w", accountID, err)
	}
	if r.Plan == "" {
		r.Plan = DefaultPlan
	}
	return Tenant{AccountID: accountID, Name: r.Name, Status: r.Status, Plan: r.Plan, Overrides: r.Quotas,
		Incarnation: r.Incarnation, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

func encodeAccessKey(k AccessKey, sealed []byte) ([]byte, error) {
	return json.Marshal(accessKeyRecord{V: recordVersion, AccountID: k.AccountID, Status: k.Status, CreatedAt: k.CreatedAt, Sealed: sealed})
}

func decodeAccessKey(id string, raw []byte) (AccessKey, []byte, error) {
	var r accessKeyRecord
	if err := decodeRecord(raw, &r, &r.V); err != nil {
		return AccessKey{}, nil, fmt.Errorf("tenants: access key record %s: %w", id, err)
	}
	return AccessKey{ID: id, AccountID: r.AccountID, Status: r.Status, CreatedAt: r.CreatedAt}, r.Sealed, nil
}

func decodeRecord(raw []byte, into any, version *int) error {
	if err := json.Unmarshal(raw, into); err != nil {
		return err
	}
	if *version < 1 {
		return errors.New("no record version")
	}
	return nil
}

// patchRecord sets some fields of a stored record and keeps all others,
// including ones this version does not know.
func patchRecord(raw []byte, fields map[string]any) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	for name, value := range fields {
		b, err := json.Marshal(value)
		if err != nil {
			return nil, err
		}
		m[name] = b
	}
	return json.Marshal(m)
}
