package edit

import (
	"errors"
	"strings"
	"testing"
)

func TestApply(t *testing.T) {
	src := []byte("hello, world")
	tests := []struct {
		name  string
		edits []Edit
		want  string
		err   bool
	}{
		{"none", nil, "hello, world", false},
		{"replace", []Edit{{0, 5, "goodbye"}}, "goodbye, world", false},
		{"insert and delete", []Edit{{0, 0, ">"}, {5, 7, ""}, {12, 12, "!"}}, ">helloworld!", false},
		{"two inserts at one point", []Edit{{5, 5, "a"}, {5, 5, "b"}}, "helloab, world", false},
		{"overlap", []Edit{{0, 5, "x"}, {3, 6, "y"}}, "", true},
		{"unsorted", []Edit{{7, 8, "x"}, {0, 1, "y"}}, "", true},
		{"out of range", []Edit{{10, 20, "x"}}, "", true},
		{"negative", []Edit{{-1, 0, "x"}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply(src, tt.edits)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if err == nil && string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if string(src) != "hello, world" {
		t.Errorf("Apply modified its input: %q", src)
	}
}

func TestMerge(t *testing.T) {
	a := []Edit{{0, 1, "A"}, {4, 5, "E"}}
	b := []Edit{{2, 3, "C"}, {4, 5, "E"}}
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 3 {
		t.Fatalf("merge kept duplicates or lost edits: %v", m)
	}
	got, _ := Apply([]byte("abcdef"), m)
	if string(got) != "AbCdEf" {
		t.Errorf("got %q", got)
	}

	_, err = Merge([]Edit{{0, 3, "x"}}, []Edit{{2, 4, "y"}})
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("overlap: err = %v, want *ConflictError", err)
	}
	if _, err := Merge([]Edit{{2, 2, "x"}}, []Edit{{2, 2, "y"}}); !errors.As(err, &ce) {
		t.Errorf("two different insertions at one point: err = %v, want conflict", err)
	}
}

func TestSetApplyFilesAndDiff(t *testing.T) {
	files := map[string][]byte{"a.go": []byte("package a\n\nvar x = 1\n"), "b.go": []byte("package a\n")}
	s := Set{}
	s.Add("a.go", Edit{19, 20, "2"})
	if s.Empty() {
		t.Fatal("Empty on a set with an edit")
	}
	out, err := ApplyFiles(files, s)
	if err != nil {
		t.Fatal(err)
	}
	if string(out["a.go"]) != "package a\n\nvar x = 2\n" || string(files["a.go"]) != "package a\n\nvar x = 1\n" {
		t.Fatalf("ApplyFiles: got %q (input now %q)", out["a.go"], files["a.go"])
	}
	d := Diff(files, out)
	if !strings.Contains(d, "-var x = 1\n+var x = 2\n") || strings.Contains(d, "b.go") {
		t.Errorf("diff:\n%s", d)
	}
	if _, err := ApplyFiles(files, Set{"c.go": {{0, 0, "x"}}}); err == nil {
		t.Error("editing a missing file succeeded")
	}
	other := Set{"a.go": {{18, 20, "zz"}}}
	if err := s.Merge(other); err == nil {
		t.Error("Set.Merge of overlapping edits succeeded")
	}
}

// FuzzApplyMerge checks that merging disjoint edit sets applies like applying them in turn.
func FuzzApplyMerge(f *testing.F) {
	f.Add("abcdefghij", 1, 3, "X", 5, 7, "Y")
	f.Add("", 0, 0, "a", 0, 0, "a")
	f.Fuzz(func(t *testing.T, src string, s1, e1 int, n1 string, s2, e2 int, n2 string) {
		x := []Edit{{s1, e1, n1}}
		y := []Edit{{s2, e2, n2}}
		m, err := Merge(x, y)
		if err != nil {
			return
		}
		got, err := Apply([]byte(src), m)
		if err != nil {
			return // out of range
		}
		if len(m) == 1 {
			return // identical edits
		}
		// Apply the later edit first, then the earlier one: offsets stay valid.
		first, second := m[1], m[0]
		step, err := Apply([]byte(src), []Edit{first})
		if err != nil {
			t.Fatalf("single edit failed after merge succeeded: %v", err)
		}
		want, err := Apply(step, []Edit{second})
		if err != nil {
			t.Fatalf("second edit failed: %v", err)
		}
		if string(got) != string(want) {
			t.Fatalf("merge+apply %q, sequential %q", got, want)
		}
	})
}
