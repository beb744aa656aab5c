// Package enginechaos runs the queue engine in-process under store faults
// — a fault-injecting kv store, client-go's RPC and PD clients failing
// below the tikv driver, skewed clocks between nodes, a full disk under
// the local store — while clients record every call, and judges the
// histories with e2e/chaos/history (docs/reliability.md). It has only
// tests.
package enginechaos
