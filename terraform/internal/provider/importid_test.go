package provider

import "testing"

func TestParseQueueID(t *testing.T) {
	for _, tc := range []struct{ id, account, name string }{
		{"http://127.0.0.1:9324/123456789012/orders", "123456789012", "orders"},
		{"https://sqs.us-east-1.example.com/prefix/123456789012/orders.fifo", "123456789012", "orders.fifo"},
		{"123456789012/orders", "123456789012", "orders"},
	} {
		account, name, err := parseQueueID(tc.id)
		if err != nil || account != tc.account || name != tc.name {
			t.Errorf("parseQueueID(%q) = %q, %q, %v; want %q, %q", tc.id, account, name, err, tc.account, tc.name)
		}
	}
	for _, bad := range []string{"orders", "12345/orders", "123456789012/", "http://host/orders", "123456789012/a/b"} {
		if _, _, err := parseQueueID(bad); err == nil {
			t.Errorf("parseQueueID(%q) succeeded, want an error", bad)
		}
	}
}

func TestParseAccessKeyID(t *testing.T) {
	account, key, err := parseAccessKeyID("123456789012/SLKABC")
	if err != nil || account != "123456789012" || key != "SLKABC" {
		t.Errorf("parseAccessKeyID = %q, %q, %v", account, key, err)
	}
	for _, bad := range []string{"SLKABC", "1234/SLKABC", "123456789012/"} {
		if _, _, err := parseAccessKeyID(bad); err == nil {
			t.Errorf("parseAccessKeyID(%q) succeeded, want an error", bad)
		}
	}
}
