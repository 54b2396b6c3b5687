package clean

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"

	"github.com/decant-go/decant/internal/safefile"
)

// FilterName names the git filter and diff driver Install sets up.
const FilterName = "decant-clean"

// AttributesLine is the .gitattributes line that sends notebooks through the filter.
const AttributesLine = "*.ipynb filter=" + FilterName + " diff=" + FilterName

// Installed says what Install changed.
type Installed struct {
	Config     bool   // the repository's config gained or changed the filter
	Attributes bool   // .gitattributes gained the line
	AttrFile   string // the .gitattributes path
}

// Install sets up git, in the repository containing dir, to store notebooks cleaned: the
// repository config gets filter.decant-clean.clean = "<command> --stdin --stdout" and a diff
// driver whose textconv shows notebooks cleaned, and the work tree's .gitattributes routes
// *.ipynb through both. command is how git runs decant clean (say "decant clean", or an
// absolute path followed by "clean"). Running it again changes nothing.
//
// The filter is not marked required: a clone on a machine without decant still works, it just
// stores notebooks as they are.
func Install(dir, command string) (Installed, error) {
	var res Installed
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if err != nil {
		return res, fmt.Errorf("opening the git repository at %s: %w", dir, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return res, fmt.Errorf("finding the work tree of %s (a bare repository has no .gitattributes to set): %w", dir, err)
	}
	cfg, err := repo.Config()
	if err != nil {
		return res, fmt.Errorf("reading the config of %s: %w", dir, err)
	}
	want := map[[3]string]string{
		{"filter", FilterName, "clean"}:  command + " --stdin --stdout",
		{"diff", FilterName, "textconv"}: command + " --stdout",
	}
	for k, v := range want {
		sub := cfg.Raw.Section(k[0]).Subsection(k[1])
		if sub.Option(k[2]) != v || len(sub.OptionAll(k[2])) != 1 {
			sub.SetOption(k[2], v)
			res.Config = true
		}
	}
	if res.Config {
		if err := repo.SetConfig(cfg); err != nil {
			return res, fmt.Errorf("writing the config of %s: %w", dir, err)
		}
	}
	res.AttrFile = filepath.Join(wt.Filesystem.Root(), ".gitattributes")
	old, err := os.ReadFile(res.AttrFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return res, fmt.Errorf("reading %s: %w", res.AttrFile, err)
	}
	for _, l := range strings.Split(string(old), "\n") {
		if strings.Join(strings.Fields(l), " ") == AttributesLine {
			return res, nil
		}
	}
	data := bytes.Clone(old)
	if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
		data = append(data, '\n')
	}
	data = append(data, AttributesLine+"\n"...)
	if err := safefile.WriteFile(res.AttrFile, data, 0o644); err != nil {
		return res, fmt.Errorf("writing .gitattributes: %w", err)
	}
	res.Attributes = true
	return res, nil
}

// ShellQuote quotes s for the shell git runs filters with, when it needs quoting.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
