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

// prefixEnd is the first key after every key that starts with prefix.
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	end[len(end)-1]++ // every prefix here ends in '/', never 0xff
	return end
}
