package kernel

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeSpec(t *testing.T, root, name, json string) {
	t.Helper()
	dir := filepath.Join(root, "kernels", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kernel.json"), []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSpecSearchPath(t *testing.T) {
	env := map[string]string{"JUPYTER_PATH": "/a" + string(filepath.ListSeparator) + "/b"}
	getenv := func(k string) string { return env[k] }
	want := []string{"/a/kernels", "/b/kernels", "/home/u/.local/share/jupyter/kernels",
		"/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels"}
	if got := SpecSearchPath(getenv, "/home/u"); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	env["JUPYTER_DATA_DIR"] = "/data"
	want[2] = "/data/kernels"
	if got := SpecSearchPath(getenv, "/home/u"); !reflect.DeepEqual(got, want) {
		t.Errorf("with JUPYTER_DATA_DIR: got %v\nwant %v", got, want)
	}
}

func TestFindAndListSpecs(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	writeSpec(t, first, "gonb", `{"argv":["/x/gonb","--kernel","{connection_file}"],"display_name":"Go (gonb)","language":"go","interrupt_mode":"message","env":{"A":"1"}}`)
	writeSpec(t, second, "gonb", `{"argv":["/shadowed"]}`)
	writeSpec(t, second, "python3", `{"argv":["python3","-m","ipykernel_launcher","-f","{connection_file}"],"language":"python"}`)
	writeSpec(t, second, "broken", `{"argv":[]}`)
	if err := os.MkdirAll(filepath.Join(second, "kernels", "empty-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	dirs := []string{filepath.Join(first, "kernels"), "/nonexistent/kernels", filepath.Join(second, "kernels")}

	s, err := FindSpecIn(dirs, "GoNB")
	if err != nil {
		t.Fatal(err)
	}
	want := &Spec{Name: "gonb", Dir: filepath.Join(first, "kernels", "gonb"), Argv: []string{"/x/gonb", "--kernel", "{connection_file}"},
		DisplayName: "Go (gonb)", Language: "go", InterruptMode: "message", Env: map[string]string{"A": "1"}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("FindSpecIn:\n got %+v\nwant %+v", s, want)
	}
	if got := s.command("/tmp/c.json"); !reflect.DeepEqual(got, []string{"/x/gonb", "--kernel", "/tmp/c.json"}) {
		t.Errorf("command: %v", got)
	}
	py, err := FindSpecIn(dirs, "python3")
	if err != nil || py.InterruptMode != "signal" {
		t.Errorf("python3: %+v, %v; want default interrupt mode signal", py, err)
	}
	if _, err := FindSpecIn(dirs, "nope"); !errors.Is(err, ErrNoSpec) {
		t.Errorf("missing spec: %v, want ErrNoSpec", err)
	}
	if _, err := FindSpecIn(dirs, "broken"); err == nil || !strings.Contains(err.Error(), "empty argv") {
		t.Errorf("broken spec: %v", err)
	}

	specs, err := ListSpecsIn(dirs)
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("ListSpecsIn error %v, want one about the broken spec", err)
	}
	var names []string
	for _, s := range specs {
		names = append(names, s.Name+"="+s.Argv[0])
	}
	if got := strings.Join(names, " "); got != "gonb=/x/gonb python3=python3" {
		t.Errorf("ListSpecsIn: %s", got)
	}
}

func TestSpecEnviron(t *testing.T) {
	s := &Spec{Env: map[string]string{"PATH": "/tools:${PATH}", "B": "x"}}
	got := s.environ([]string{"PATH=/bin", "B=old"}, []string{"B=extra"})
	want := []string{"PATH=/bin", "B=old", "B=x", "PATH=/tools:/bin", "B=extra"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("environ:\n got %v\nwant %v", got, want)
	}
}

func TestParseSpecErrors(t *testing.T) {
	for _, in := range []string{`{`, `{"argv":[]}`, `{"argv":["x"],"interrupt_mode":"telepathy"}`} {
		if _, err := ParseSpec("k", "/d", []byte(in)); err == nil {
			t.Errorf("ParseSpec(%s) succeeded", in)
		}
	}
}
