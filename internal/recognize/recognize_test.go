package recognize

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://admin:hunter2@db.example.com:5432/churn?sslmode=disable", "postgres://admin:***@db.example.com:5432/churn?sslmode=disable"},
		{"host=db user=admin password=kvpass99 dbname=churn", "host=db user=admin password=*** dbname=churn"},
		{"root:s3cr3t@tcp(127.0.0.1:3306)/shop", "root:***@tcp(127.0.0.1:3306)/shop"},
		{`sql.Open("mysql", "root:s3cr3t@tcp(h)/db")`, `sql.Open("mysql", "root:***@tcp(h)/db")`},
		{"token ghp_abcdefghijklmnopqrstuvwxyz0123456789 here", "token ghp_*** here"},
		{"AKIAABCDEFGHIJKLMNOP", "AKIA***"},
		{"see https://bob:pw@api.example.com/x and PWD=abc;", "see https://bob:***@api.example.com/x and PWD=***;"},
		{"https://example.com/path?a=b", "https://example.com/path?a=b"},
		{"user@example.com", "user@example.com"},
		{"postgres://admin@db/churn", "postgres://admin@db/churn"},
		{"x := a == b", "x := a == b"},
	} {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Mask(Mask(tc.in)); got != Mask(tc.in) {
			t.Errorf("Mask is not idempotent on %q: %q", tc.in, got)
		}
	}
}

func TestRecognisers(t *testing.T) {
	for _, s := range []string{"postgres://u:p@h/db", "host=h dbname=d user=u", "u:p@tcp(h:3306)/d"} {
		if !DSN(s) {
			t.Errorf("DSN(%q) = false", s)
		}
	}
	if DSN("https://example.com") || DSN("hello") {
		t.Error("DSN accepts a web URL or a word")
	}
	if !HasPassword("postgres://u:p@h/db") || HasPassword("postgres://u@h/db") || !HasPassword("password=x") {
		t.Error("HasPassword")
	}
	if !SelectStar("SELECT * FROM t") || SelectStar("SELECT a FROM t") || !SQL("  select a from t") {
		t.Error("SQL recognisers")
	}
	if !URL("s3://bucket/key") || !WebURL("https://x.org/a") || WebURL("s3://bucket/key") || !Addr("localhost:8080") {
		t.Error("URL recognisers")
	}
	if !SecretName("apiKey") || !SecretName("DB_PASSWORD") || SecretName("model") {
		t.Error("SecretName")
	}
	if !SecretShape("xoxb-1234567890-abc") {
		t.Error("SecretShape")
	}
}

func FuzzMask(f *testing.F) {
	f.Add("postgres://admin:hunter2@db/churn password=x u:p@tcp(h)/d ghp_abcdefghijklmnopqrstuvwxyz0123456789")
	f.Fuzz(func(t *testing.T, s string) {
		m := Mask(s)
		if Mask(m) != m {
			t.Fatalf("Mask not idempotent: %q -> %q -> %q", s, m, Mask(m))
		}
		if HasPassword(m) {
			t.Fatalf("a masked text still has a password: %q -> %q", s, m)
		}
		if !strings.Contains(s, "@") && !strings.Contains(s, "=") && !SecretShape(s) && m != s {
			t.Fatalf("Mask changed a text with nothing to hide: %q -> %q", s, m)
		}
	})
}
