package notebooks

import (
	"encoding/json"
	"strings"
	"testing"
)

// Failed reads a failed run the way each kernel records one, and nothing else.
func TestFailed(t *testing.T) {
	for _, tc := range []struct {
		name, kernel string
		outputs      []map[string]any
		want         string // Failure.String(), "" for none
	}{
		{"gonb error", "gonb", []map[string]any{{"output_type": "error", "ename": "ERROR", "evalue": "failed to run\nmore", "traceback": []string{}}}, `an error ("failed to run")`},
		{"named error", "gophernotes", []map[string]any{{"output_type": "error", "ename": "NameError", "evalue": "x", "traceback": []string{}}}, `an error ("NameError: x")`},
		// Old gophernotes sent gomacro's warnings as an error, for a cell that ran to its end.
		{"gophernotes warnings", "gophernotes", []map[string]any{{"output_type": "error", "ename": "ERROR", "evalue": "// warning: redefined identifier: err\n", "traceback": []string{}}}, ""},
		{"lgo compile error", "lgo", []map[string]any{stream("stderr", "3:1: expected operand, found '}'\n5:5: expected ';', found 'for'\n")}, `a compile error ("3:1: expected operand, found '}'")`},
		{"lgo panic", "lgo", []map[string]any{stream("stderr", "panic: die!\n\ngoroutine 26 [running]:\nruntime/debug.Stack()\n"), stream("stdout", "main done\n")}, `a panic ("panic: die!")`},
		{"lgo panic, split", "lgo", []map[string]any{stream("stderr", "panic: failed!\n"), stream("stderr", "\ngoroutine 41 [running]:\n"), stream("stderr", "main routine failed\n")}, `a panic ("panic: failed!")`},
		{"lgo old interrupt", "lgo", []map[string]any{stream("stderr", "interrupted"), stream("stdout", "i = 3\n")}, `an interrupt ("interrupted")`},
		{"lgo interrupt", "lgo", []map[string]any{stream("stderr", "main routine canceled, 2 goroutines are hanging\n")}, `an interrupt ("main routine canceled, 2 goroutines are hanging")`},
		{"lgo failed goroutine", "lgo", []map[string]any{stream("stderr", "1 goroutine failed\n")}, `a failed run ("1 goroutine failed")`},
		{"lgo build", "lgo", []map[string]any{stream("stderr", "Failed to build a shared library of github.com/yunabe/lgo/sess1/exec2: exit status 2\n")}, `a build error ("Failed to build a shared library of github.com/yunabe/lgo/sess1/exec2: exit status 2")`},
		// What a cell writes to stderr itself is its output.
		{"lgo stderr", "lgo", []map[string]any{stream("stderr", "1 warning: slow\npanic: not really\ninterrupted\n")}, ""},
		{"lgo stdout", "lgo", []map[string]any{stream("stdout", "3:1: expected operand\n")}, ""},
		{"gonb stderr", "gonb", []map[string]any{stream("stderr", "3:1: expected operand\n")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := json.Marshal(map[string]any{
				"nbformat": 4, "nbformat_minor": 4,
				"metadata": map[string]any{"kernelspec": map[string]any{"name": tc.kernel, "display_name": tc.kernel, "language": "go"}},
				"cells":    []any{map[string]any{"cell_type": "code", "metadata": map[string]any{}, "execution_count": nil, "source": "x", "outputs": tc.outputs}},
			})
			if err != nil {
				t.Fatal(err)
			}
			nb, err := Parse("t.ipynb", raw)
			if err != nil {
				t.Fatal(err)
			}
			f, failed := nb.Failed(nb.Cells[0])
			got := ""
			if failed {
				got = f.String()
			}
			if got != tc.want {
				t.Errorf("Failed = %q, want %q", got, tc.want)
			}
		})
	}
}

func stream(name, text string) map[string]any {
	return map[string]any{"output_type": "stream", "name": name, "text": text}
}

// FuzzLgoFailure checks that reading lgo's stderr never panics, and that what it calls a
// failure names a kind and a message taken from the text.
func FuzzLgoFailure(f *testing.F) {
	for _, s := range []string{
		"3:1: expected operand, found '}'\n5:5: expected ';', found 'for'\n",
		"panic: die!\n\ngoroutine 26 [running]:\n",
		"interrupted",
		"main routine canceled, 1 goroutine failed\n",
		"Failed to build a shared library of x: exit status 2\n",
		"1 warning: slow\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		fl, ok := lgoFailure(text)
		if !ok {
			return
		}
		if fl.What == "" || fl.Message == "" || !strings.Contains(text, strings.TrimPrefix(fl.Message, "panic: ")) {
			t.Fatalf("lgoFailure(%q) = %+v", text, fl)
		}
	})
}
