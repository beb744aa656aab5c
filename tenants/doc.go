// Package tenants is the catalog both planes share: tenants (AWS-style
// 12-digit account ids) and their access keys, kept in the transactional kv
// store under the prefix "T/".
//
// Access-key secrets are returned once, when a key is created, and stored
// only sealed (package seal) with the key id as additional data. Resolve is
// the SigV4 hot path: it maps an access key id to its account, secret and
// statuses, cached per key for a few seconds so that every API request does
// not read the store, and so that a suspended tenant or disabled key stops
// working on every node within that time. CheckToken does the same for
// control-plane tokens: revoked, or naming a tenant that is gone (tokens.go).
//
// Keyspace (records are JSON with a version field "v"):
//
//	T/t/{account}            tenant record (with its random incarnation id)
//	T/k/{keyID}              access key record: account, status, sealed secret
//	T/a/{account}/k/{keyID}  index of an account's keys (one-byte value)
//	T/d/{account}            a deleted tenant whose data is still being removed
//	T/r/{tokenID}            revoked control-plane token: its expiry, its tenant
//	T/x/{expiry}/{tokenID}   revoked tokens by expiry (one-byte value)
package tenants
