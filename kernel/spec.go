package kernel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrNoSpec is returned (wrapped) when no kernelspec has the wanted name.
var ErrNoSpec = errors.New("no such kernelspec")

// Spec is a Jupyter kernelspec: a directory holding kernel.json.
type Spec struct {
	Name          string // the directory name
	Dir           string
	Argv          []string
	DisplayName   string
	Language      string
	InterruptMode string // "signal" (Jupyter's default) or "message"
	Env           map[string]string
}

type specFile struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env"`
}

// ParseSpec decodes the content of a kernel.json for the kernelspec name in
// directory dir.
func ParseSpec(name, dir string, data []byte) (*Spec, error) {
	var f specFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parsing kernelspec %s: %w", name, err)
	}
	if len(f.Argv) == 0 {
		return nil, fmt.Errorf("parsing kernelspec %s: empty argv", name)
	}
	switch f.InterruptMode {
	case "":
		f.InterruptMode = "signal"
	case "signal", "message":
	default:
		return nil, fmt.Errorf("parsing kernelspec %s: unknown interrupt_mode %q", name, f.InterruptMode)
	}
	return &Spec{Name: name, Dir: dir, Argv: f.Argv, DisplayName: f.DisplayName, Language: f.Language,
		InterruptMode: f.InterruptMode, Env: f.Env}, nil
}

// SpecSearchPath returns the kernelspec directories Jupyter searches, in
// order: each $JUPYTER_PATH entry plus "/kernels", the user data directory
// ($JUPYTER_DATA_DIR or ~/.local/share/jupyter) plus "/kernels", then
// /usr/local/share/jupyter/kernels and /usr/share/jupyter/kernels.
// getenv is usually os.Getenv; home is the user's home directory ("" skips
// the default user directory).
func SpecSearchPath(getenv func(string) string, home string) []string {
	var dirs []string
	for _, p := range filepath.SplitList(getenv("JUPYTER_PATH")) {
		if p != "" {
			dirs = append(dirs, filepath.Join(p, "kernels"))
		}
	}
	if d := getenv("JUPYTER_DATA_DIR"); d != "" {
		dirs = append(dirs, filepath.Join(d, "kernels"))
	} else if home != "" {
		dirs = append(dirs, filepath.Join(home, ".local", "share", "jupyter", "kernels"))
	}
	return append(dirs, "/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels")
}

func defaultSearchPath() []string {
	home, _ := os.UserHomeDir()
	return SpecSearchPath(os.Getenv, home)
}

// FindSpec finds the kernelspec name on the default search path.
func FindSpec(name string) (*Spec, error) {
	return FindSpecIn(defaultSearchPath(), name)
}

// ListSpecs lists the kernelspecs on the default search path.
func ListSpecs() ([]*Spec, error) {
	return ListSpecsIn(defaultSearchPath())
}

// FindSpecIn returns the first kernelspec called name in dirs. Jupyter
// matches kernel names case-insensitively.
func FindSpecIn(dirs []string, name string) (*Spec, error) {
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue // missing directories are normal
		}
		for _, e := range entries {
			if !strings.EqualFold(e.Name(), name) {
				continue
			}
			s, err := readSpec(filepath.Join(d, e.Name()), e.Name())
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return s, err
		}
	}
	return nil, fmt.Errorf("finding kernelspec %q in %s: %w", name, strings.Join(dirs, ", "), ErrNoSpec)
}

// ListSpecsIn returns every kernelspec in dirs, sorted by name. When two
// directories hold the same name the earlier one wins, as in Jupyter.
// Unreadable specs are skipped and reported together in the error.
func ListSpecsIn(dirs []string) ([]*Spec, error) {
	seen := map[string]bool{}
	var specs []*Spec
	var errs []error
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			key := strings.ToLower(e.Name())
			if seen[key] {
				continue
			}
			s, err := readSpec(filepath.Join(d, e.Name()), e.Name())
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			seen[key] = true
			specs = append(specs, s)
		}
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs, errors.Join(errs...)
}

func readSpec(dir, name string) (*Spec, error) {
	data, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		return nil, err
	}
	return ParseSpec(name, dir, data)
}

// command returns the argv with {connection_file} and {resource_dir}
// substituted, as Jupyter does.
func (s *Spec) command(connFile string) []string {
	argv := make([]string, len(s.Argv))
	r := strings.NewReplacer("{connection_file}", connFile, "{resource_dir}", s.Dir)
	for i, a := range s.Argv {
		argv[i] = r.Replace(a)
	}
	return argv
}

// environ returns base followed by the spec's env (with $VAR references
// expanded against base, as jupyter_client does) and then extra. Later
// entries win in os/exec.
func (s *Spec) environ(base, extra []string) []string {
	lookup := map[string]string{}
	for _, kv := range base {
		if k, v, ok := strings.Cut(kv, "="); ok {
			lookup[k] = v
		}
	}
	env := append([]string(nil), base...)
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := os.Expand(s.Env[k], func(name string) string { return lookup[name] })
		env = append(env, k+"="+v)
	}
	return append(env, extra...)
}
