package clean

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/decant-go/decant/notebooks"
)

// BenchmarkClean cleans GoNB's executed tutorial (235 kB, with outputs); BenchmarkParseFormat is
// its floor: reading and writing the same notebook unchanged.
func BenchmarkClean(b *testing.B) {
	data := tutorial(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := Bytes("tutorial.ipynb", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFormat(b *testing.B) {
	data := tutorial(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		nb, err := notebooks.Parse("tutorial.ipynb", data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := notebooks.Format(nb); err != nil {
			b.Fatal(err)
		}
	}
}

func tutorial(b *testing.B) []byte {
	data, err := os.ReadFile(filepath.Join(gonbExamples(), "tutorial.ipynb"))
	if err != nil {
		b.Skip("GoNB's tutorial is not in the module cache")
	}
	return data
}
