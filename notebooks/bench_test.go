package notebooks

import (
	"fmt"
	"testing"
)

// bigNotebook generates a notebook of n cells, mostly code cells with a
// stream output and an execute_result, as a GoNB session would produce.
func bigNotebook(b *testing.B, n int) []byte {
	nb := New("big.ipynb")
	for i := range n {
		if i%4 == 0 {
			nb.InsertCell(i, nb.NewMarkdownCell(fmt.Sprintf("## Step %d\n\nSome *markdown* text.\n", i)))
			continue
		}
		c := nb.NewCodeCell(fmt.Sprintf("%%%%\nfor i := range %d {\n\tfmt.Println(i)\n}\nx := %d", i, i))
		c.ExecutionCount = intp(i)
		c.Outputs = []Output{
			{Type: "stream", Name: "stdout", Text: "0\n1\n2\n3\n4\n5\n6\n7\n"},
			{Type: "execute_result", ExecutionCount: intp(i), Data: map[string]string{"text/plain": fmt.Sprint(i)}},
		}
		nb.InsertCell(i, c)
	}
	data, err := Format(nb)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkParse(b *testing.B) {
	data := bigNotebook(b, 1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("big.ipynb", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFormat(b *testing.B) {
	nb, err := Parse("big.ipynb", bigNotebook(b, 1000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Format(nb); err != nil {
			b.Fatal(err)
		}
	}
}
