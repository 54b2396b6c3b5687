package httpapi

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDumpTmp(t *testing.T) {
	files, err := Render(demoSpec())
	if err != nil {
		t.Fatal(err)
	}
	dir := writeModule(t, "demo.txtar", files)
	_ = dir
	for n, d := range files {
		p := filepath.Join("/tmp/hx/out", n)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, d, 0o644)
	}
}
