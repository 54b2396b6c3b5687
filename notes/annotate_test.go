package notes

import (
	"strings"
	"testing"

	"github.com/decant-go/decant/notebooks"
)

// oneCell makes a labeled notebook whose second cell is src.
func oneCell(src string) *notebooks.Notebook {
	nb := notebooks.New("t.ipynb")
	nb.InsertCell(0, nb.NewMarkdownCell("## 1. Preparation"))
	nb.InsertCell(1, nb.NewCodeCell(src))
	return nb
}

func TestLiteralSmells(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want Kind // "" = no smell
		sev  Severity
	}{
		{"churn.db", HardCodedPath, Warning},
		{"/home/ann/data/train.csv", HardCodedPath, Warning},
		{"data/", "", 0},
		{"image/png", "", 0},
		{"%s.csv", "", 0},
		{"https://example.com/api", HardCodedURL, Info},
		{"postgres://app@db:5432/shop", DSN, Warning},
		{"postgres://app:hunter2@db:5432/shop", DSN, Severe},
		{"root:pw@tcp(127.0.0.1:3306)/shop", DSN, Severe},
		{"host=db user=app password=x dbname=shop", DSN, Severe},
		{"AKIAABCDEFGHIJKLMNOP", Credential, Severe},
		{"select * from t", SelectStar, Warning},
		{"SELECT COUNT(*) FROM t", "", 0},
		{"hello world", "", 0},
	} {
		got := literalSmells(tc.v)
		if tc.want == "" {
			if len(got) != 0 {
				t.Errorf("literalSmells(%q) = %+v, want none", tc.v, got)
			}
			continue
		}
		if len(got) != 1 || got[0].Kind != tc.want || got[0].Severity != tc.sev {
			t.Errorf("literalSmells(%q) = %+v, want one %s (%s)", tc.v, got, tc.want, tc.sev)
		}
		if got := literalSmells(tc.v); len(got) > 0 && strings.Contains(got[0].Message, "hunter2") {
			t.Errorf("the message shows the password: %s", got[0].Message)
		}
	}
}

func TestAnnotateCells(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string // "" = unchanged
	}{
		{"statement", "%%\nf, _ := os.Open(\"in.csv\")\n_ = f",
			"%%\n// TODO: move \"in.csv\" to config\nf, _ := os.Open(\"in.csv\")\n_ = f"},
		{"indented", "func load() {\n\tos.ReadFile(\"a.json\")\n}",
			"func load() {\n\t// TODO: move \"a.json\" to config\n\tos.ReadFile(\"a.json\")\n}"},
		{"noted", "// TODO: read the path from config\nconst p = \"a.json\"", ""},
		{"magic", "%%writefile x.go\nconst p = \"a.json\"", ""},
		{"commands only", "!cat data.csv\n!ls", ""},
		{"label stays first", "// 1. Preparation\nvar model = train()\nfunc train() int { return 1 }",
			"// 1. Preparation\n// TODO: model runs at package load (GoNB re-ran it on every cell); make it an explicit call\nvar model = train()\nfunc train() int { return 1 }"},
		{"raw string stays", "var q = `a\nselect * from t`", "// TODO: select only the columns used instead of SELECT *\nvar q = `a\nselect * from t`"},
		{"credential", "var apiKey = \"abcd1234efgh\"", "// TODO: move this credential to a secret store (environment or secret manager)\nvar apiKey = \"abcd1234efgh\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nb := oneCell(tc.src)
			n, err := Analyze(nb, nil)
			if err != nil {
				t.Fatal(err)
			}
			changed := Annotate(nb, n)
			got := nb.Cells[1].Source
			if tc.want == "" {
				if len(changed) != 0 || got != tc.src {
					t.Errorf("changed %v:\n%s", changed, got)
				}
				return
			}
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			n2, _ := Analyze(nb, nil)
			if again := Annotate(nb, n2); len(again) != 0 {
				t.Errorf("second run changed %v", again)
			}
		})
	}
}

func TestAnnotateStaleNotes(t *testing.T) {
	nb := oneCell("%%\nos.Open(\"in.csv\")")
	n, _ := Analyze(nb, nil)
	nb.Cells[1].Source = "%%\nos.Open(\"other.csv\")"
	if changed := Annotate(nb, n); len(changed) != 0 {
		t.Errorf("Annotate wrote stale notes into cells %v", changed)
	}
}

func TestCheckSevere(t *testing.T) {
	nb := oneCell("const dsn = \"postgres://app:hunter2@db/shop\"")
	n, _ := Analyze(nb, nil)
	p := n.Check()
	if len(p) != 1 || !strings.Contains(p[0].String(), "DSN") || strings.Contains(p[0].String(), "hunter2") {
		t.Errorf("Check() = %v, want one DSN problem without the password", p)
	}
	clean := oneCell("func add(a, b int) int { return a + b }")
	n, _ = Analyze(clean, nil)
	if p := n.Check(); len(p) != 0 {
		t.Errorf("Check() of a clean labeled notebook = %v", p)
	}
}

func TestHeadingsForUnlabeled(t *testing.T) {
	nb := notebooks.New("t.ipynb")
	nb.InsertCell(0, nb.NewCodeCell("%%\nf, _ := os.Open(\"x.csv\")\n_ = f"))
	nb.InsertCell(1, nb.NewCodeCell("func predict(x float64) float64 { return x }"))
	n, err := Analyze(nb, nil)
	if err != nil || n.Labeled || !n.Suggested {
		t.Fatalf("err=%v labeled=%v suggested=%v", err, n.Labeled, n.Suggested)
	}
	changed := Annotate(nb, n)
	var heads []string
	for _, c := range nb.Cells {
		if c.Type == "markdown" {
			heads = append(heads, c.Source)
		}
	}
	if strings.Join(heads, "|") != "## 1. Preparation|## 3. Calculation" || len(changed) != 3 {
		t.Errorf("headings %q, changed %v", heads, changed)
	}
	n2, _ := Analyze(nb, nil)
	if !n2.Labeled || n2.Cells[3].Section != n.Cells[1].Section {
		t.Errorf("after --write: labeled=%v, sections differ from the suggestion", n2.Labeled)
	}
}

func FuzzAnnotate(f *testing.F) {
	for _, s := range []string{
		"%%\nos.Open(\"in.csv\")",
		"var q = `a\nselect * from t`\n%%\nfmt.Println(q)",
		"!ls\nvar x = f()\nfunc f() int { return 1 }",
		"// 1. Preparation\nconst dsn = \"postgres://a:b@c/d\"",
		"func a() {\n\tx := 1\n\tx++\n\ty := x * 2\n\t_ = y\n}\nfunc b() {\n\tx := 1\n\tx++\n\ty := x * 2\n\t_ = y\n}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		nb := oneCell(src)
		n, err := Analyze(nb, nil)
		if err != nil {
			return
		}
		n.Markdown()
		n.HTML()
		Annotate(nb, n)
		got := nb.Cells[1].Source
		if got != src && !sameCode(src, got) {
			t.Fatalf("annotation changed the code:\n%q\n%q", src, got)
		}
		n2, err := Analyze(nb, nil)
		if err != nil {
			t.Fatal(err)
		}
		if again := Annotate(nb, n2); len(again) != 0 {
			t.Fatalf("not idempotent: %q then %q", got, nb.Cells[1].Source)
		}
	})
}
