package notebooks

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts,
// Format can write, Parse can read back, and Format reproduces exactly: the
// output of Format is a fixed point.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{corpusDir, gonbDir} {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		for _, path := range notebookFiles(f, dir) {
			if data, err := os.ReadFile(path); err == nil && len(data) < 64<<10 {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(doc(5, `{"cell_type": "markdown", "id": "a", "metadata": {"tags": ["x"]}, "source": "a\u2028b\r\nc"}`)))
	f.Add([]byte(doc(6, `{"cell_type": "other", "metadata": {}}`, code(`{"output_type": "new"}`))))
	f.Add([]byte(doc(4, code(`{"data": {"application/json": 1e5, "text/plain": ["a", "b"]}, "metadata": {}, "output_type": "display_data"}`))))
	f.Fuzz(func(t *testing.T, data []byte) {
		nb, err := Parse("fuzz.ipynb", data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse error %v is %T, want *Error", err, err)
			}
			return
		}
		out, err := Format(nb)
		if err != nil {
			t.Fatalf("Format of a parsed notebook failed: %v", err)
		}
		nb2, err := Parse("fuzz.ipynb", out)
		if err != nil {
			t.Fatalf("Parse(Format(x)) failed: %v\n%s", err, out)
		}
		out2, err := Format(nb2)
		if err != nil {
			t.Fatalf("Format(Parse(Format(x))) failed: %v", err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("Format is not a fixed point:\n%s", lineDiff(string(out), string(out2)))
		}
		// Editing every source must also give a notebook that reads back.
		for _, c := range nb2.Cells {
			c.Source += "\n"
		}
		if out3, err := Format(nb2); err != nil {
			t.Fatalf("Format after edit: %v", err)
		} else if _, err := Parse("fuzz.ipynb", out3); err != nil {
			t.Fatalf("Parse after edit: %v", err)
		}
	})
}
