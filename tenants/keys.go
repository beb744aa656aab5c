package tenants

// Keys under "T/" (see the package comment). Account ids are exactly 12
// digits and key ids are [A-Z0-9], so neither holds the '/' separator and
// prefixes never overlap.

var (
	tenantPrefix = []byte("T/t/")
	keyPrefix    = []byte("T/k/")
)

// indexMarker is the value of index entries (kv values are never empty).
var indexMarker = []byte{1}

func tenantKey(accountID string) []byte { return []byte("T/t/" + accountID) }

func accessKeyKey(id string) []byte { return []byte("T/k/" + id) }

func accountKeysPrefix(accountID string) []byte { return []byte("T/a/" + accountID + "/k/") }

func accountKeyKey(accountID, id string) []byte { return []byte("T/a/" + accountID + "/k/" + id) }
