package declspan

import (
	"strings"
	"testing"
)

func TestCell(t *testing.T) {
	src := "// 1. Preparation\n%env A 1\n// f does it.\nfunc f() {}\n\nfunc (b *Box[T]) m() {}\n\nvar (\n\t// x doc\n\tx = 1\n\ty, z = 2, 3 // yz\n)\n\nconst (\n\ta = iota\n\tb\n)\ntype T int\nfunc main() {}\n%%\nfmt.Println(1)\n"
	decls, err := Cell(src, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key, text string
		line      int
	}{
		{"f", "// f does it.\nfunc f() {}", 4},
		{"Box~m", "func (b *Box[T]) m() {}", 6},
		{"x", "// x doc\n\tx = 1", 10},
		{"y,z", "y, z = 2, 3 // yz", 11},
		{"a,b", "const (\n\ta = iota\n\tb\n)", 14},
		{"T", "type T int", 18},
	}
	if len(decls) != len(want) {
		t.Fatalf("got %d decls: %+v", len(decls), decls)
	}
	for i, w := range want {
		d := decls[i]
		if d.Key != w.key || src[d.Start:d.End] != w.text || d.Line != w.line {
			t.Errorf("decl %d: %s %q line %d, want %s %q line %d", i, d.Key, src[d.Start:d.End], d.Line, w.key, w.text, w.line)
		}
	}
	if !decls[2].Grouped || decls[0].Grouped {
		t.Error("Grouped wrong")
	}
}

func TestFile(t *testing.T) {
	src := "package p\n\n// From n.ipynb, cell 1.\nfunc f() {}\n"
	decls, err := File([]byte(src))
	if err != nil || len(decls) != 1 {
		t.Fatal(decls, err)
	}
	d := decls[0]
	if src[d.Start:d.DeclStart] != "// From n.ipynb, cell 1.\n" || src[d.DeclStart:d.End] != "func f() {}" || d.Line != 4 || d.DocLine != 3 {
		t.Errorf("%+v", d)
	}
}

func FuzzCell(f *testing.F) {
	f.Add("func f() {}\nvar x = 1\n%%\nx++\n", false)
	f.Add("# 2. Label\nconst c = 1\n", true)
	f.Add("%%writefile a.txt\nhello\n", false)
	f.Fuzz(func(t *testing.T, src string, label bool) {
		decls, err := Cell(src, label)
		if err != nil {
			return
		}
		prev := -1
		for _, d := range decls {
			if d.Start < 0 || d.Start > d.DeclStart || d.DeclStart > d.End || d.End > len(src) {
				t.Fatalf("bad span %+v in %q", d, src)
			}
			if d.Start < prev {
				t.Fatalf("overlapping spans in %q", src)
			}
			prev = d.End
			if d.Key == "" || strings.TrimSpace(src[d.Start:d.End]) == "" {
				t.Fatalf("empty declaration %+v in %q", d, src)
			}
		}
	})
}

func TestMainBodies(t *testing.T) {
	src := "package main\n\n// main runs it.\nfunc main() {\n\tx := 1\n\n\tif x > 0 {\n\t\tprintln(x)\n\t}\n}\n"
	b, ok := MainBody([]byte(src))
	if want := "\tx := 1\n\n\tif x > 0 {\n\t\tprintln(x)\n\t}"; !ok || src[b.Start:b.End] != want || b.Indent != "\t" || b.Line != 5 {
		t.Errorf("MainBody = %+v %q", b, src[b.Start:b.End])
	}
	for _, tc := range []struct {
		cell         string
		label        bool
		body, indent string
		line, head   int
	}{
		{"%wasm\nimport \"fmt\"\n\n%% --x=1\n\nfmt.Println(1)\nif true {\n\tfmt.Println(2)\n}\n\n", false, "fmt.Println(1)\nif true {\n\tfmt.Println(2)\n}", "", 6, 20},
		{"// 2. Pre/Post processing\n%wasm\nfunc f() {}\n\n// main runs.\nfunc main() {\n\tf()\n\tf()\n}\n", true, "\tf()\n\tf()", "\t", 7, 45},
		{"%wasm\n%%\n", false, "", "", 3, 6},
	} {
		b, ok := CellMain(tc.cell, tc.label)
		if !ok || tc.cell[b.Start:b.End] != tc.body || b.Indent != tc.indent || b.Line != tc.line || b.Head != tc.head {
			t.Errorf("CellMain(%q) = %+v %q, want %q indent %q line %d", tc.cell, b, tc.cell[b.Start:b.End], tc.body, tc.indent, tc.line)
		}
	}
	if _, ok := CellMain("func f() {}\n", false); ok {
		t.Error("CellMain found a main in a cell without one")
	}
}

// CellMain never panics, and the body it finds is inside the cell.
func FuzzCellMain(f *testing.F) {
	for _, s := range []string{"%wasm\n%%\nfmt.Println(1)\n", "func main() {\n\tf()\n}\n", "// l\nfunc main() { f() }", "%%", "func main() {}"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, src string, label bool) {
		b, ok := CellMain(src, label)
		if ok && (b.Start < 0 || b.End < b.Start || b.End > len(src) || b.Head < 0 || b.Head > b.Start) {
			t.Errorf("CellMain(%q) = %+v", src, b)
		}
	})
}
