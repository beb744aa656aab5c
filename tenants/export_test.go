package tenants

// CachedKeys is the number of access keys Resolve has cached.
func (c *Catalog) CachedKeys() int { return c.keys.len() }
