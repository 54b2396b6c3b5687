package pipeline

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// A module's go.mod may require a commit of a library that the proxy does not serve (an
// untagged pseudo-version, as GoMLX's examples module at v0.27.3 requires of GoMLX). The
// notebook's imports exist in the releases around that commit: extraction resolves them with
// the nearest release that has them, says so, and the service builds even when a library it
// imports still requires the commit that cannot be fetched.
func TestRefusedVersionNearestRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	const commit = "v1.1.1-0.20260101000000-0123456789ab"
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	addModule(t, proxy, "example.com/lib", "v1.0.0", "", "old")
	addModule(t, proxy, "example.com/lib", "v1.1.0", "", "old")
	addModule(t, proxy, "example.com/lib", "v1.2.0", "", "neu")
	addModule(t, proxy, "example.com/wrap", "v0.2.0", "\nrequire example.com/lib "+commit+"\n", ".")
	offlineModules(t, tmp, proxy)

	nb := layoutProject(t, tmp, commit, "notebooks/answer.ipynb", "old")
	res, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author, NoVerify: true})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	gomod := string(res.Output.Files["go.mod"])
	for _, want := range []string{"example.com/lib v1.1.0", "replace example.com/lib => example.com/lib v1.1.0"} {
		if !strings.Contains(gomod, want) {
			t.Errorf("go.mod lacks %q:\n%s", want, gomod)
		}
	}
	found := false
	for _, d := range res.Decisions {
		found = found || strings.Contains(d.Reason, "example.com/lib@"+commit) &&
			strings.Contains(d.Reason, "could not be fetched") && strings.Contains(d.Reason, "Resolved with example.com/lib v1.1.0") &&
			strings.Contains(d.Reason, "--pin example.com/lib@VERSION")
	}
	if !found {
		t.Errorf("no decision explains the release chosen: %+v", res.Decisions)
	}
}

// When no release has the packages, the refusal is located at the import and says which
// version could not be fetched, not that the package is missing.
func TestRefusedVersionNothingFits(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	const commit = "v1.1.1-0.20260101000000-0123456789ab"
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	addModule(t, proxy, "example.com/lib", "v1.2.0", "", "neu")
	addModule(t, proxy, "example.com/wrap", "v0.2.0", "\nrequire example.com/lib "+commit+"\n", ".")
	offlineModules(t, tmp, proxy)

	nb := layoutProject(t, tmp, commit, "notebooks/answer.ipynb", "old")
	_, err := Run(context.Background(), nb, Options{Repo: filepath.Join(tmp, "svc"), Author: author, NoVerify: true})
	if err == nil {
		t.Fatal("extract succeeded; want the import refused")
	}
	for _, want := range []string{"cell 1, line 2", "example.com/lib@" + commit, "could not be fetched here", "--pin example.com/lib@VERSION"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
}
