package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/decant-go/decant/kernel/proxy"
)

const executedNotebook = `{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": 3,
   "id": "c1",
   "metadata": {
    "scrolled": true
   },
   "outputs": [
    {
     "name": "stdout",
     "output_type": "stream",
     "text": [
      "hi\n"
     ]
    }
   ],
   "source": [
    "%%\n",
    "fmt.Println(\"hi\")"
   ]
  }
 ],
 "metadata": {
  "kernelspec": {
   "display_name": "Go (gonb)",
   "language": "go",
   "name": "gonb"
  }
 },
 "nbformat": 4,
 "nbformat_minor": 5
}
`

// The %decant clean magic cleans the notebook as saved and says how to see the result.
func TestCleanAndSyncMagics(t *testing.T) {
	dir := t.TempDir()
	nb := filepath.Join(dir, "work.ipynb")
	if err := os.WriteFile(nb, []byte(executedNotebook), 0o644); err != nil {
		t.Fatal(err)
	}
	magics := kernelMagics(Env{})
	run := func(name string, args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		_, err := magics[name].Run(context.Background(), args, proxy.MagicEnv{Stdout: &out, Stderr: &errb, Dir: dir,
			Getenv: func(string) string { return "" }})
		return out.String(), errb.String(), err
	}
	if _, _, err := run("clean", "--check"); err == nil {
		t.Error("decant clean magic: --check passed an executed notebook")
	}
	out, _, err := run("clean")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "work.ipynb changed on disk: reload it") {
		t.Errorf("no reload advice: %q", out)
	}
	data, _ := os.ReadFile(nb)
	if bytes.Contains(data, []byte(`"hi\n"`)) || bytes.Contains(data, []byte("scrolled")) || !bytes.Contains(data, []byte(`"execution_count": null`)) {
		t.Errorf("not cleaned:\n%s", data)
	}
	if out, _, err := run("clean", "--check"); err != nil || strings.Contains(out, "reload") {
		t.Errorf("clean notebook: %v %q", err, out)
	}
	_, errs, err := run("sync", "--repo", "nowhere")
	if err == nil || !strings.Contains(errs, "opening the service repository nowhere") {
		t.Errorf("%%decant sync without a repository: %v %q", err, errs)
	}
}
