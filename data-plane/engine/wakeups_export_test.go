package engine

// WaitActivity reports how many queues have a watcher on this node and
// whether the reader of recent changes runs.
func (e *Engine) WaitActivity() (watchers int, reading bool) {
	e.waiters.mu.Lock()
	defer e.waiters.mu.Unlock()
	return len(e.waiters.watchers), e.waiters.scanning
}
