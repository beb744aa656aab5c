package tenants_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mq/sluice/internal/kv/kvtest"
	"github.com/sluice-mq/sluice/tenants"
	"github.com/sluice-mq/sluice/tenants/seal"
)

var (
	generatedKeyID  = regexp.MustCompile(`^SLK[A-Z2-7]{17}$`)
	generatedSecret = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
)

func TestCreateAccessKeyRoundTrip(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		k, secret := mustCreateKey(t, e.cat, "111122223333")
		if !generatedKeyID.MatchString(k.ID) || !generatedSecret.MatchString(secret) {
			t.Fatalf("generated id %q, secret %q", k.ID, secret)
		}
		want := tenants.AccessKey{ID: k.ID, AccountID: "111122223333", Status: tenants.KeyActive, CreatedAt: e.clock.Now().UTC()}
		if k != want {
			t.Fatalf("created %+v, want %+v", k, want)
		}
		list, err := e.cat.ListAccessKeys(ctx, "111122223333")
		if err != nil || len(list) != 1 || list[0] != want {
			t.Fatalf("listed %+v %v, want [%+v]", list, err, want)
		}
		// Another node, with an empty cache, reads it from the store.
		cred := mustResolve(t, e.node(tenants.Options{}), k.ID)
		wantCred := tenants.Credential{AccessKeyID: k.ID, AccountID: "111122223333", Secret: secret, TenantStatus: tenants.StatusActive, KeyStatus: tenants.KeyActive,
			Quotas: tenants.Effective(tenants.DefaultPlan, tenants.Quotas{})}
		if cred != wantCred || !cred.Usable() {
			t.Fatalf("resolved %+v, want %+v", cred, wantCred)
		}
		other, otherSecret := mustCreateKey(t, e.cat, "111122223333")
		if other.ID == k.ID || otherSecret == secret {
			t.Fatal("two keys share an id or a secret")
		}
		if _, _, err := e.cat.CreateAccessKey(ctx, "999999999999"); !errors.Is(err, tenants.ErrTenantNotFound) {
			t.Fatalf("key for a missing tenant: %v, want ErrTenantNotFound", err)
		}
	})
}

func TestSecretsAreNeverStoredInClear(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		var secrets []string
		for range 3 {
			_, secret := mustCreateKey(t, e.cat, "111122223333")
			secrets = append(secrets, secret)
		}
		imported := "importedSecretValue/+=0123456789"
		if _, err := e.cat.ImportAccessKey(ctx, "111122223333", "DEVKEY0000000001", imported); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, imported)
		all := scanAll(t, e.store)
		if len(all) == 0 {
			t.Fatal("store is empty")
		}
		for _, p := range all {
			if !bytes.HasPrefix(p.Key, []byte("T/")) {
				t.Fatalf("key %q outside T/", p.Key)
			}
			for _, s := range secrets {
				for _, value := range append(decodedFields(p.Value), p.Value) {
					for _, form := range []string{s, hex.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s)), s[:16]} {
						if bytes.Contains(value, []byte(form)) {
							t.Fatalf("value of %s holds secret %q as %q", p.Key, s, form)
						}
					}
				}
			}
		}
	})
}

// decodedFields returns the base64-decoded string fields of a JSON record,
// where a secret stored in clear would hide from a plain byte search.
func decodedFields(record []byte) [][]byte {
	var fields map[string]any
	_ = json.Unmarshal(record, &fields)
	var out [][]byte
	for _, v := range fields {
		if s, ok := v.(string); ok {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				out = append(out, b)
			}
		}
	}
	return out
}

// The sealed secret is bound to its key id: copied onto another key's
// record it does not open, so it cannot lend that key its secret.
func TestSealedSecretCannotBeMovedToAnotherKey(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		a, _ := mustCreateKey(t, e.cat, "111122223333")
		b, _ := mustCreateKey(t, e.cat, "111122223333")
		setRaw(t, e.store, "T/k/"+b.ID, getRaw(t, e.store, "T/k/"+a.ID))
		if cred, err := e.node(tenants.Options{}).Resolve(ctx, b.ID); !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("resolve with a moved secret: %+v %v, want seal.ErrOpen", cred, err)
		}
	})
}

func TestAnotherMasterKeyCannotResolve(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		k, _ := mustCreateKey(t, e.cat, "111122223333")
		other := tenants.New(e.store, newSealer(t), tenants.Options{Clock: e.clock.Now})
		if cred, err := other.Resolve(ctx, k.ID); !errors.Is(err, seal.ErrOpen) || cred.Secret != "" {
			t.Fatalf("resolve under another master key: %+v %v, want seal.ErrOpen", cred, err)
		}
	})
}

func TestImportAccessKeyIsIdempotent(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		first, err := e.cat.ImportAccessKey(ctx, "111122223333", "DEVKEY0000000001", "devsecret0000001")
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
		again, err := e.cat.ImportAccessKey(ctx, "111122223333", "DEVKEY0000000001", "devsecret0000001")
		if err != nil || again != first {
			t.Fatalf("import again: %+v %v, want %+v", again, err, first)
		}
		if list, _ := e.cat.ListAccessKeys(ctx, "111122223333"); len(list) != 1 || list[0] != first {
			t.Fatalf("listed %+v, want [%+v]", list, first)
		}
		if cred := mustResolve(t, e.cat, "DEVKEY0000000001"); cred.Secret != "devsecret0000001" || cred.AccountID != "111122223333" {
			t.Fatalf("resolved %+v", cred)
		}
	})
}

func TestImportAccessKeyConflicts(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		mustCreateTenant(t, e.cat, "444455556666")
		if _, err := e.cat.ImportAccessKey(ctx, "111122223333", "DEVKEY0000000001", "devsecret0000001"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cat.ImportAccessKey(ctx, "444455556666", "DEVKEY0000000001", "devsecret0000001"); !errors.Is(err, tenants.ErrAccessKeyExists) {
			t.Fatalf("id of another account: %v, want ErrAccessKeyExists", err)
		}
		if _, err := e.cat.ImportAccessKey(ctx, "111122223333", "DEVKEY0000000001", "devsecret0000002"); !errors.Is(err, tenants.ErrAccessKeyExists) {
			t.Fatalf("another secret: %v, want ErrAccessKeyExists", err)
		}
		if cred := mustResolve(t, e.node(tenants.Options{}), "DEVKEY0000000001"); cred.Secret != "devsecret0000001" || cred.AccountID != "111122223333" {
			t.Fatalf("stored key changed: %+v", cred)
		}
		if list, _ := e.cat.ListAccessKeys(ctx, "444455556666"); len(list) != 0 {
			t.Fatalf("other account lists %+v", list)
		}
		if _, err := e.cat.ImportAccessKey(ctx, "999999999999", "DEVKEY0000000002", "devsecret0000001"); !errors.Is(err, tenants.ErrTenantNotFound) {
			t.Fatalf("missing tenant: %v, want ErrTenantNotFound", err)
		}
	})
}

func TestImportAccessKeyValidatesIDAndSecret(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		const okID, okSecret = "DEVKEY0000000001", "devsecret0000001"
		bad := []struct{ id, secret string }{
			{"DEVKEY000000001", okSecret},        // 15 characters
			{strings.Repeat("A", 129), okSecret}, // 129 characters
			{"devkey0000000001", okSecret},       // lower case
			{"DEVKEY00/0000001", okSecret},       // '/' breaks credential scopes
			{"DEVKEY-000000001", okSecret},       // punctuation
			{okID, "devsecret000001"},            // 15 characters
			{okID, "dev secret 00001"},           // space
			{okID, "devsecret0000001\n"},         // control character
			{okID, "devsécret0000001"},           // not ASCII
			{okID, strings.Repeat("s", 129)},     // 129 characters
		}
		for _, b := range bad {
			if _, err := e.cat.ImportAccessKey(ctx, "111122223333", b.id, b.secret); !errors.Is(err, tenants.ErrInvalidInput) {
				t.Fatalf("import %q / %q: %v, want ErrInvalidInput", b.id, b.secret, err)
			}
		}
		if list, _ := e.cat.ListAccessKeys(ctx, "111122223333"); len(list) != 0 {
			t.Fatalf("rejected imports stored %+v", list)
		}
		for _, good := range []struct{ id, secret string }{
			{okID, okSecret},
			{strings.Repeat("Z", 128), "!\"#$%&'()*+,-./~" + strings.Repeat("s", 112)},
			{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		} {
			if _, err := e.cat.ImportAccessKey(ctx, "111122223333", good.id, good.secret); err != nil {
				t.Fatalf("import %q: %v", good.id, err)
			}
			if cred := mustResolve(t, e.cat, good.id); cred.Secret != good.secret {
				t.Fatalf("%s resolved secret %q, want %q", good.id, cred.Secret, good.secret)
			}
		}
	})
}

func TestListAccessKeysListsOnlyTheAccountsOwn(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		owned := map[string][]string{}
		for _, acct := range []string{"111122223333", "111122223334", "444455556666"} {
			mustCreateTenant(t, e.cat, acct)
		}
		for range 3 {
			for _, acct := range []string{"111122223333", "111122223334"} {
				k, _ := mustCreateKey(t, e.cat, acct)
				owned[acct] = append(owned[acct], k.ID)
			}
		}
		for acct, want := range owned {
			slices.Sort(want)
			list, err := e.cat.ListAccessKeys(ctx, acct)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range list {
				if k.AccountID != acct {
					t.Fatalf("%s lists a key of %s", acct, k.AccountID)
				}
				got = append(got, k.ID)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s lists %v, want %v", acct, got, want)
			}
		}
		if list, err := e.cat.ListAccessKeys(ctx, "444455556666"); err != nil || list == nil || len(list) != 0 {
			t.Fatalf("account without keys: %#v %v, want an empty list", list, err)
		}
		if _, err := e.cat.ListAccessKeys(ctx, "999999999999"); !errors.Is(err, tenants.ErrTenantNotFound) {
			t.Fatalf("missing tenant: %v, want ErrTenantNotFound", err)
		}
	})
}

func TestSetAccessKeyStatus(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		mustCreateTenant(t, e.cat, "444455556666")
		k, secret := mustCreateKey(t, e.cat, "111122223333")
		got, err := e.cat.SetAccessKeyStatus(ctx, "111122223333", k.ID, tenants.KeyInactive)
		if want := (tenants.AccessKey{ID: k.ID, AccountID: k.AccountID, Status: tenants.KeyInactive, CreatedAt: k.CreatedAt}); err != nil || got != want {
			t.Fatalf("deactivated: %+v %v, want %+v", got, err, want)
		}
		if list, _ := e.cat.ListAccessKeys(ctx, "111122223333"); len(list) != 1 || list[0].Status != tenants.KeyInactive {
			t.Fatalf("listed %+v", list)
		}
		cred := mustResolve(t, e.node(tenants.Options{}), k.ID)
		if cred.KeyStatus != tenants.KeyInactive || cred.Usable() || cred.Secret != secret {
			t.Fatalf("resolved %+v", cred)
		}
		if _, err := e.cat.SetAccessKeyStatus(ctx, "444455556666", k.ID, tenants.KeyActive); !errors.Is(err, tenants.ErrAccessKeyNotFound) {
			t.Fatalf("through another account: %v, want ErrAccessKeyNotFound", err)
		}
		if _, err := e.cat.SetAccessKeyStatus(ctx, "111122223333", k.ID, "Inactive"); !errors.Is(err, tenants.ErrInvalidInput) {
			t.Fatalf("unknown status: %v, want ErrInvalidInput", err)
		}
		if _, err := e.cat.SetAccessKeyStatus(ctx, "111122223333", "SLKAAAAAAAAAAAAAAAAA", tenants.KeyActive); !errors.Is(err, tenants.ErrAccessKeyNotFound) {
			t.Fatalf("missing key: %v, want ErrAccessKeyNotFound", err)
		}
		if got, err := e.cat.SetAccessKeyStatus(ctx, "111122223333", k.ID, tenants.KeyActive); err != nil || got.Status != tenants.KeyActive {
			t.Fatalf("reactivated: %+v %v", got, err)
		}
		if !mustResolve(t, e.node(tenants.Options{}), k.ID).Usable() {
			t.Fatal("reactivated key is not usable")
		}
	})
}

func TestDeleteAccessKey(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		mustCreateTenant(t, e.cat, "111122223333")
		mustCreateTenant(t, e.cat, "444455556666")
		k, _ := mustCreateKey(t, e.cat, "111122223333")
		kept, _ := mustCreateKey(t, e.cat, "111122223333")
		if err := e.cat.DeleteAccessKey(ctx, "444455556666", k.ID); !errors.Is(err, tenants.ErrAccessKeyNotFound) {
			t.Fatalf("through another account: %v, want ErrAccessKeyNotFound", err)
		}
		if err := e.cat.DeleteAccessKey(ctx, "111122223333", k.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.cat.Resolve(ctx, k.ID); !errors.Is(err, tenants.ErrAccessKeyNotFound) {
			t.Fatalf("resolve deleted key: %v, want ErrAccessKeyNotFound", err)
		}
		if list, _ := e.cat.ListAccessKeys(ctx, "111122223333"); len(list) != 1 || list[0].ID != kept.ID {
			t.Fatalf("listed %+v, want only %s", list, kept.ID)
		}
		for _, p := range scanAll(t, e.store) {
			if strings.Contains(string(p.Key), k.ID) {
				t.Fatalf("key %q left behind", p.Key)
			}
		}
		if err := e.cat.DeleteAccessKey(ctx, "111122223333", k.ID); !errors.Is(err, tenants.ErrAccessKeyNotFound) {
			t.Fatalf("delete again: %v, want ErrAccessKeyNotFound", err)
		}
	})
}

// A catalog without a sealer (the billing role's, no master key) reads
// tenants but neither creates nor resolves access keys.
func TestCatalogWithoutSealer(t *testing.T) {
	store := kvtest.OpenLocal(t)
	full := tenants.New(store, newSealer(t), tenants.Options{})
	tn, err := full.CreateTenant(ctx, tenants.CreateTenantInput{})
	if err != nil {
		t.Fatal(err)
	}
	k, _, err := full.CreateAccessKey(ctx, tn.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	ro := tenants.New(store, nil, tenants.Options{})
	if got, err := ro.GetTenant(ctx, tn.AccountID); err != nil || got.AccountID != tn.AccountID {
		t.Fatalf("GetTenant: %v, %v", got, err)
	}
	if list, _, err := ro.ListTenants(ctx, 10, ""); err != nil || len(list) != 1 {
		t.Fatalf("ListTenants: %v, %v", list, err)
	}
	if _, _, err := ro.CreateAccessKey(ctx, tn.AccountID); !errors.Is(err, tenants.ErrNoSealer) {
		t.Fatalf("CreateAccessKey: %v, want ErrNoSealer", err)
	}
	if _, err := ro.Resolve(ctx, k.ID); !errors.Is(err, tenants.ErrNoSealer) {
		t.Fatalf("Resolve: %v, want ErrNoSealer", err)
	}
}
