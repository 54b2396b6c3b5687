// Package recognize holds the one set of recognisers for what a string literal in a notebook
// or a service is: SQL (and SELECT *), URLs, database connection strings (DSNs), secrets, and
// the [Mask] that hides passwords and tokens wherever such a value is printed: reading notes,
// reports, JSON, the live page, the kernel's event stream and command-line messages.
//
// It is a leaf: it imports only the standard library.
package recognize

import (
	"regexp"
	"strings"
)

var (
	selectStar = regexp.MustCompile(`(?is)\bselect\s+(?:distinct\s+)?\*\s*from\b`)
	sqlLike    = regexp.MustCompile(`(?is)^\s*(?:select|insert|update|delete|create|drop|alter|with|replace|pragma)\b`)
	urlLike    = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://\S+$`)
	webURL     = regexp.MustCompile(`^(?:https?|ftp)://[^\s/$.?#][^\s]*$`)
	dsnURL     = regexp.MustCompile(`(?i)^(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|sqlserver|mssql|clickhouse|amqps?|oracle|cockroachdb|snowflake)://`)
	dsnKV      = regexp.MustCompile(`(?i)\b(?:host|dbname|user|sslmode)=\S+.*\b(?:host|dbname|user|password|sslmode)=`)
	dsnMySQL   = regexp.MustCompile(`^[^\s:@/]+(?::[^\s@/]*)?@(?:tcp|unix)\(`)
	addrLike   = regexp.MustCompile(`^([a-zA-Z0-9.-]*|\[[0-9a-fA-F:]+\]):[0-9]{2,5}$`)

	// Within any text: user:password@ after a scheme, key=value passwords, user:password@tcp(.
	urlPassword   = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s:"'` + "`" + `]+:)([^/@\s"'` + "`" + `]+)@`)
	kvPassword    = regexp.MustCompile(`(?i)\b((?:password|pwd|passwd)\s*=\s*)([^\s;'"` + "`" + `&]+)`)
	mysqlPassword = regexp.MustCompile(`(^|[\s"'(` + "`" + `=])([^\s:@/"'` + "`" + `]+:)([^\s@/"'` + "`" + `]+)@((?:tcp|unix)\()`)
	secretShape   = regexp.MustCompile(`AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|xox[abposr]-[A-Za-z0-9-]{10,}|\bsk-[A-Za-z0-9_-]{20,}|-----BEGIN [A-Z ]*PRIVATE KEY-----`)
	secretName    = regexp.MustCompile(`(?i)(?:passw(?:or)?d|passwd|^pwd$|secret|token|api_?key|access_?key|private_?key|credential|auth_?key)`)
)

// Masked replaces a hidden secret.
const Masked = "***"

// SelectStar reports whether s holds a SELECT * ... FROM query.
func SelectStar(s string) bool { return selectStar.MatchString(s) }

// SQL reports whether s starts like an SQL statement.
func SQL(s string) bool { return sqlLike.MatchString(s) }

// URL reports whether s is one URL with a scheme (https://, s3://, postgres://, ...).
func URL(s string) bool { return urlLike.MatchString(s) }

// WebURL reports whether s is an http, https or ftp URL.
func WebURL(s string) bool { return webURL.MatchString(s) }

// Addr reports whether s is a host:port network address.
func Addr(s string) bool { return addrLike.MatchString(s) }

// DSN reports whether s is a database connection string: a database URL
// (postgres://, mysql://, ...), key=value pairs (host=... dbname=...), or a Go MySQL driver
// DSN (user:pass@tcp(host)/db). s must be one line.
func DSN(s string) bool {
	return !strings.ContainsAny(s, "\n\r") && (dsnURL.MatchString(s) || dsnKV.MatchString(s) || dsnMySQL.MatchString(s))
}

// SecretShape reports whether s contains something shaped like a well-known key or token
// (AWS access key, GitHub or Slack token, OpenAI-style key, a PEM private key).
func SecretShape(s string) bool { return secretShape.MatchString(s) }

// SecretName reports whether an identifier names a secret (password, token, api_key, ...).
func SecretName(name string) bool { return secretName.MatchString(name) }

// HasPassword reports whether s carries a password: in a URL's user info, as a
// password=... pair, or in a MySQL DSN.
func HasPassword(s string) bool {
	return Mask(s) != s && (urlPassword.MatchString(s) || kvPassword.MatchString(s) || mysqlPassword.MatchString(s))
}

// Mask returns text with every password and token it holds replaced by [Masked]: the
// password of a URL's user info (scheme://user:***@host), password=*** pairs, a MySQL DSN's
// password (user:***@tcp(...)) and whole tokens of well-known shapes. Everything else is kept,
// so a masked DSN still says which database it names. text may be a single value or a whole
// message, report or page.
func Mask(text string) string {
	if !strings.ContainsAny(text, "@=") && !secretShape.MatchString(text) {
		return text
	}
	text = urlPassword.ReplaceAllString(text, "${1}"+Masked+"@")
	text = kvPassword.ReplaceAllStringFunc(text, func(m string) string {
		sub := kvPassword.FindStringSubmatch(m)
		if sub[2] == Masked {
			return m
		}
		return sub[1] + Masked
	})
	text = mysqlPassword.ReplaceAllStringFunc(text, func(m string) string {
		sub := mysqlPassword.FindStringSubmatch(m)
		if sub[3] == Masked {
			return m
		}
		return sub[1] + sub[2] + Masked + "@" + sub[4]
	})
	text = secretShape.ReplaceAllStringFunc(text, func(m string) string {
		if strings.HasPrefix(m, "-----BEGIN") {
			return m // the header alone is no secret; the key body is not matched
		}
		return m[:min(4, len(m))] + Masked
	})
	return text
}
