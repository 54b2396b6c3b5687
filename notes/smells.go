package notes

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/decant-go/decant/internal/recognize"
)

// The literal classifiers below look at string values the code holds. They are tuned to be
// quiet: a note that cries wolf is not read.
// Paths and TODOs are the notes' own; SQL, URLs, DSNs and secrets are recognised by
// internal/recognize, shared with the refactorings.
var (
	pathExt    = regexp.MustCompile(`(?i)^(?:~|\.{1,2})?/?(?:[\w.\- ]+/)*[\w.\-]*[\w\-]\.(?:db|sqlite|sqlite3|duckdb|csv|tsv|json|jsonl|ndjson|txt|parquet|arrow|feather|xlsx?|gob|bin|pkl|pickle|onnx|pt|h5|hdf5|npy|npz|yaml|yml|toml|ini|env|png|jpe?g|gif|svg|pdf|gz|zip|tar|tgz|log|xml|html?|md|model|weights)$`)
	absPath    = regexp.MustCompile(`^(?:~|/(?:home|Users|tmp|var|opt|data|mnt|srv|etc|root|usr))/[\w.\-/]+$`)
	todoInCode = regexp.MustCompile(`(?://|/\*|#)(.*?)\b(TODO|FIXME|XXX|HACK)\b[:)]?\s*(.*)$`)
	todoInText = regexp.MustCompile(`\b(TODO|FIXME)\b:?\s*(.*)$`)
)

// literalSmells classifies a string literal's value.
func literalSmells(v string) []Smell {
	var out []Smell
	if len(v) > 4096 {
		v = v[:4096]
	}
	if recognize.SelectStar(v) {
		out = append(out, Smell{Kind: SelectStar, Severity: Warning,
			Message:  "SELECT * reads every column, also the ones nothing uses, and breaks when columns change",
			Todo:     "select only the columns used instead of SELECT *",
			keywords: []string{"select", "column"}})
	}
	oneLine := !strings.ContainsAny(v, "\n\r\t")
	switch {
	case recognize.SecretShape(v):
		out = append(out, credentialSmell("the string looks like a secret key or token"))
	case oneLine && recognize.DSN(v):
		s := Smell{Kind: DSN, Severity: Warning, Message: fmt.Sprintf("hard-coded database connection string %s", quoteShort(recognize.Mask(v))),
			Todo: "move the DSN to config", keywords: []string{"dsn", "config"}}
		if recognize.HasPassword(v) {
			s.Severity = Severe
			s.Message += " with a password in it"
			s.Todo = "move the DSN to config and its password to a secret store"
			s.keywords = append(s.keywords, "secret", "password")
		}
		out = append(out, s)
	case oneLine && recognize.WebURL(v):
		if recognize.HasPassword(v) {
			out = append(out, credentialSmell("the URL has a password in it"))
			break
		}
		out = append(out, Smell{Kind: HardCodedURL, Severity: Info, Message: fmt.Sprintf("hard-coded URL %s", quoteShort(v)),
			Todo: fmt.Sprintf("move %s to config", quoteShort(v)), keywords: []string{"config", "url"}})
	case oneLine && recognize.HasPassword(v):
		out = append(out, credentialSmell("the string has a password in it"))
	case oneLine && !strings.Contains(v, "%") && !strings.Contains(v, "://") && (pathExt.MatchString(v) || absPath.MatchString(v)):
		out = append(out, Smell{Kind: HardCodedPath, Severity: Warning, Message: fmt.Sprintf("hard-coded path %s: the service runs elsewhere, from another directory", quoteShort(v)),
			Todo: fmt.Sprintf("move %s to config", quoteShort(v)), keywords: []string{"config", strings.ToLower(v)}})
	}
	return out
}

func credentialSmell(why string) Smell {
	return Smell{Kind: Credential, Severity: Severe, Message: "hard-coded credential: " + why,
		Todo: "move this credential to a secret store (environment or secret manager)", keywords: []string{"secret", "credential", "password", "token"}}
}

func quoteShort(v string) string {
	if len(v) > 60 {
		v = v[:57] + "..."
	}
	return fmt.Sprintf("%q", v)
}

// findTodos lists the TODO-style notes of a cell.
func findTodos(typ, src string) []Todo {
	var out []Todo
	for i, line := range strings.Split(src, "\n") {
		if typ == "code" {
			if m := todoInCode.FindStringSubmatch(line); m != nil {
				text := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(m[3]), "*/"))
				if strings.HasSuffix(text, ")") && strings.Count(text, "(") < strings.Count(text, ")") {
					text = strings.TrimSpace(strings.TrimSuffix(text, ")")) // "(TODO: keep them in sync!)"
				}
				out = append(out, Todo{Line: i + 1, Tag: m[2], Text: text})
			}
			continue
		}
		if typ == "markdown" {
			if m := todoInText.FindStringSubmatch(line); m != nil {
				out = append(out, Todo{Line: i + 1, Tag: m[1], Text: strings.TrimSpace(m[2])})
			}
		}
	}
	return out
}
