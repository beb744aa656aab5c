// Package check validates Sluice's deployment files offline, for `make test`:
// the Helm chart (rendered with Helm's own engine and checked against the
// Kubernetes API schemas of a pinned release, client-go's), the Compose
// file (parsed by compose-go) and the Dockerfile, and that every flag and
// SLUICE_* variable they pass to the sluice binary is one it defines.
//
// It is a module of its own, outside go.work: Helm and the k8s.io modules
// would otherwise join the server's dependency graph (workspace MVS merges
// versions across modules). Run it with GOWORK=off (`make test-deploy`).
package check
