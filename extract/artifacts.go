package extract

import (
	"fmt"
	"strings"
)

// This file renders what turns the notebook's trained values into artifacts: the library's
// registry of trained values (<slug>/trained.go), the artifact store (internal/artifact), and
// the batch command's train.
//
// Serialization is encoding/json, not gob: an artifact is read by people (cat, jq, a diff of
// two trainings) and by other tools, JSON's float64 text round-trips exactly in Go, and a
// strict decoder (unknown fields refused) turns a value saved by an older, different type into
// a start-up error instead of a silently zeroed field. Gob would be smaller and faster, but
// it is Go-only, opaque, and fills what it cannot match with zero values. The types that JSON
// cannot carry faithfully (unexported fields, interfaces, funcs, channels, complex numbers)
// are found at extraction time and stay lazy, with the reason in the report.

// renderTrained returns <slug>/trained.go: the registry that train and the server use.
func (p *Plan) renderTrained() []byte {
	var names []string
	for _, t := range p.Trained {
		names = append(names, fmt.Sprintf("%q", t.Name))
	}
	return []byte(strings.NewReplacer("PKG", p.Slug, "NAMES", strings.Join(names, ", ")).Replace(trainedSrc))
}

const trainedSrc = `package PKG

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
)

// This file keeps the values the notebook trained (package variables whose initializer trains
// or loads). The batch command's train computes them with Train and saves them in an artifact;
// the server loads that artifact with LoadTrained before it answers, so it never trains while
// serving. Code that neither loads nor trains (the notebook's own pipeline, tests) computes
// each value on first use, as the notebook did.

// trainedValue is one trained value: computed by compute, or installed by LoadTrained.
type trainedValue[T any] struct {
	compute func() T
	mu      sync.Mutex
	v       atomic.Pointer[T]
	loaded  atomic.Bool
}

// get returns the value, computing it on first use unless it was loaded.
func (t *trainedValue[T]) get() T {
	if p := t.v.Load(); p != nil {
		return *p
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.v.Load(); p != nil {
		return *p
	}
	v := t.compute()
	t.v.Store(&v)
	return v
}

func (t *trainedValue[T]) encode() ([]byte, error) {
	v := t.compute()
	return json.MarshalIndent(v, "", "\t")
}

func (t *trainedValue[T]) decode(data []byte) error {
	var v T
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the value")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.v.Store(&v)
	t.loaded.Store(true)
	return nil
}

func (t *trainedValue[T]) isLoaded() bool { return t.loaded.Load() }

// current encodes the value in use, loaded or computed.
func (t *trainedValue[T]) current() ([]byte, error) {
	return json.MarshalIndent(t.get(), "", "\t")
}

// trainedEntry is what the registry needs of a trainedValue, whatever its type.
type trainedEntry interface {
	encode() ([]byte, error)
	decode([]byte) error
	isLoaded() bool
	current() ([]byte, error)
}

// trainedValues holds every trained value by name; trained fills it as the package initializes.
var trainedValues = map[string]trainedEntry{}

// trained registers a trained value computed by compute and returns its accessor.
func trained[T any](name string, compute func() T) func() T {
	t := &trainedValue[T]{compute: compute}
	trainedValues[name] = t
	return t.get
}

// TrainedNames returns the names of the values an artifact holds, sorted: NAMES.
func TrainedNames() []string {
	names := make([]string, 0, len(trainedValues))
	for n := range trainedValues {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Train computes every trained value afresh and returns each one's JSON encoding by name. A
// panic while training (the notebook's code often panics on errors) is returned as an error.
func Train() (values map[string][]byte, err error) {
	values = map[string][]byte{}
	for _, name := range TrainedNames() {
		data, err := encodeTrained(name)
		if err != nil {
			return nil, err
		}
		values[name] = data
	}
	return values, nil
}

func encodeTrained(name string) (data []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("training %s: panic: %v", name, v)
		}
	}()
	data, err = trainedValues[name].encode()
	if err != nil {
		return nil, fmt.Errorf("saving %s as JSON: %w", name, err)
	}
	return data, nil
}

// LoadTrained installs the values of an artifact, as Train returned them. Every trained value
// must be there and decode into its type exactly (no unknown fields); a value the package does
// not know is an error too, since it means the artifact was trained by other code.
func LoadTrained(values map[string][]byte) error {
	var errs []error
	for _, name := range TrainedNames() {
		data, ok := values[name]
		if !ok {
			errs = append(errs, fmt.Errorf("the artifact has no value %q", name))
			continue
		}
		if err := trainedValues[name].decode(data); err != nil {
			errs = append(errs, fmt.Errorf("value %q does not fit this code: %w", name, err))
		}
	}
	for name := range values {
		if trainedValues[name] == nil {
			errs = append(errs, fmt.Errorf("the artifact holds %q, which this code does not train", name))
		}
	}
	return errors.Join(errs...)
}

// TrainedLoaded reports whether every trained value was installed by LoadTrained, so that
// nothing will be trained on first use.
func TrainedLoaded() bool {
	for _, t := range trainedValues {
		if !t.isLoaded() {
			return false
		}
	}
	return true
}
`

// renderArtifactPkg returns internal/artifact/artifact.go: the versioned artifact in blob storage.
func (p *Plan) renderArtifactPkg() []byte {
	return []byte(strings.NewReplacer(
		"SLUG", p.Slug,
		"NOTEBOOK_NAME", fmt.Sprintf("%q", p.Notebook),
		"NOTEBOOK_SHA", fmt.Sprintf("%q", p.NotebookHash),
	).Replace(artifactSrc))
}

const artifactSrc = `// Package artifact saves the service's trained values in blob storage as a versioned artifact,
// and loads them back. The storage is a gocloud.dev/blob URL: file:///dir (the default, or a
// plain directory path), s3://bucket, gs://bucket or azblob://container; the URL's prefix
// parameter keeps several services in one bucket (s3://bucket?prefix=SLUG/).
//
// The file driver is always linked. The cloud drivers are linked by build tags, one file each:
// -tags s3 (drivers_s3.go), -tags gcs (drivers_gcs.go), -tags azblob (drivers_azblob.go).
// Opening a URL whose driver is not linked fails with an error that names the tag.
//
// Layout under the URL:
//
//	artifacts/<version>/manifest.json       what was trained, from what, by which code, when
//	artifacts/<version>/values/<name>.json  one trained value, as JSON
//	current.json                            {"version": "<version>"}, written last
//
// A version is the first 16 hex digits of the sha256 of the values, so training the same
// model twice gives the same version. Saving writes the values, then the manifest, then moves
// current.json: a reader never sees a half-written artifact.
package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:///dir, the default
	"gocloud.dev/gcerrors"
)

// SchemaVersion is the manifest format this code writes and reads.
const SchemaVersion = 1

// Notebook and NotebookSHA256 name the notebook the code was extracted from.
const (
	Notebook       = NOTEBOOK_NAME
	NotebookSHA256 = NOTEBOOK_SHA
)

// Manifest describes one artifact.
type Manifest struct {
	SchemaVersion    int       ` + "`json:\"schema_version\"`" + `
	Version          string    ` + "`json:\"version\"`" + `
	Notebook         string    ` + "`json:\"notebook\"`" + `
	NotebookSHA256   string    ` + "`json:\"notebook_sha256\"`" + `
	CodeRevision     string    ` + "`json:\"code_revision\"`" + `
	InputFingerprint string    ` + "`json:\"input_fingerprint\"`" + `
	Inputs           []Input   ` + "`json:\"inputs\"`" + `
	GoVersion        string    ` + "`json:\"go_version\"`" + `
	CreatedAt        time.Time ` + "`json:\"created_at\"`" + `
	Values           []Value   ` + "`json:\"values\"`" + `
}

// Input is one setting or file the training read.
type Input struct {
	Name   string ` + "`json:\"name\"`" + `             // flag name, or "file"
	Value  string ` + "`json:\"value\"`" + `            // the flag's value, or the file's path
	SHA256 string ` + "`json:\"sha256,omitempty\"`" + ` // of the file's contents, when Value names a file
	Bytes  int64  ` + "`json:\"bytes,omitempty\"`" + `
}

// Value is one trained value of the artifact.
type Value struct {
	Name   string ` + "`json:\"name\"`" + `
	SHA256 string ` + "`json:\"sha256\"`" + `
	Bytes  int    ` + "`json:\"bytes\"`" + `
}

// DefaultURL is the storage location when no flag gives one: $MODEL_URL, else ./model.
func DefaultURL(getenv func(string) string) string {
	if u := getenv("MODEL_URL"); u != "" {
		return u
	}
	return "model"
}

// OpenBucket opens the storage at url. A plain path (no scheme) is a local directory. With
// create, a missing local directory is created (for train); without, it is an error.
func OpenBucket(ctx context.Context, url string, create bool) (*blob.Bucket, error) {
	if !strings.Contains(url, "://") {
		abs, err := filepath.Abs(url)
		if err != nil {
			return nil, fmt.Errorf("model storage %q: %w", url, err)
		}
		url = "file://" + filepath.ToSlash(abs)
	}
	if dir, ok := strings.CutPrefix(url, "file://"); ok {
		dir, _, _ = strings.Cut(dir, "?")
		var err error
		if create {
			err = os.MkdirAll(filepath.FromSlash(dir), 0o755)
		} else {
			_, err = os.Stat(filepath.FromSlash(dir))
		}
		if err != nil {
			return nil, fmt.Errorf("model storage %s: %w", url, err)
		}
	}
	if scheme, _, _ := strings.Cut(url, "://"); !blob.DefaultURLMux().ValidBucketScheme(scheme) {
		return nil, fmt.Errorf("opening the model storage %s: %w", url, missingDriver(scheme))
	}
	b, err := blob.OpenBucket(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("opening the model storage %s: %w", url, err)
	}
	return b, nil
}

// driverTags maps a URL scheme to the build tag that links its driver. fileblob is always
// linked; each cloud SDK is linked only on request, which keeps the default binary small.
var driverTags = map[string]string{"s3": "s3", "gs": "gcs", "azblob": "azblob"}

// ErrNoDriver is what opening a URL whose scheme has no linked driver fails with (errors.Is).
var ErrNoDriver = errors.New("no storage driver for the URL's scheme")

// noDriverError names the build tag that links the missing driver.
type noDriverError struct{ msg string }

func (e noDriverError) Error() string        { return e.msg }
func (e noDriverError) Is(target error) bool { return target == ErrNoDriver }

// missingDriver says why a URL scheme cannot be opened, and how to build a binary that can.
func missingDriver(scheme string) error {
	if tag, ok := driverTags[scheme]; ok {
		return noDriverError{fmt.Sprintf("this binary has no %s driver: build it with -tags %s (make build TAGS=%s)", tag, tag, tag)}
	}
	return noDriverError{fmt.Sprintf("no storage driver for the scheme %q: use file:///dir, a directory path, s3:// (-tags s3), gs:// (-tags gcs) or azblob:// (-tags azblob)", scheme)}
}

// Save writes values as a new artifact version and makes it current. m supplies the
// provenance; Save fills in SchemaVersion, Version and Values, and returns the manifest saved.
func Save(ctx context.Context, b *blob.Bucket, m Manifest, values map[string][]byte) (Manifest, error) {
	if len(values) == 0 {
		return Manifest{}, errors.New("saving the artifact: no trained values")
	}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	all := sha256.New()
	m.Values = nil
	for _, n := range names {
		sum := sha256.Sum256(values[n])
		fmt.Fprintf(all, "%s %x\n", n, sum)
		m.Values = append(m.Values, Value{Name: n, SHA256: hex.EncodeToString(sum[:]), Bytes: len(values[n])})
	}
	m.SchemaVersion = SchemaVersion
	m.Version = hex.EncodeToString(all.Sum(nil))[:16]
	dir := "artifacts/" + m.Version + "/"
	for _, n := range names {
		if err := write(ctx, b, dir+"values/"+n+".json", values[n]); err != nil {
			return Manifest{}, err
		}
	}
	man, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		return Manifest{}, fmt.Errorf("saving the artifact: %w", err)
	}
	if err := write(ctx, b, dir+"manifest.json", append(man, '\n')); err != nil {
		return Manifest{}, err
	}
	if err := write(ctx, b, "current.json", []byte(` + "`" + `{"version": "` + "`" + `+m.Version+` + "`" + `"}` + "`" + `+"\n")); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

func write(ctx context.Context, b *blob.Bucket, key string, data []byte) error {
	if err := b.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("saving the artifact: writing %s: %w", key, err)
	}
	return nil
}

// Load reads an artifact: version, or the current one when version is "". A missing
// artifact, an unknown schema version, and a value whose checksum does not match are errors.
func Load(ctx context.Context, b *blob.Bucket, version string) (Manifest, map[string][]byte, error) {
	if version == "" {
		data, err := b.ReadAll(ctx, "current.json")
		if gcerrors.Code(err) == gcerrors.NotFound {
			return Manifest{}, nil, errors.New("there is no artifact here (no current.json)")
		}
		if err != nil {
			return Manifest{}, nil, fmt.Errorf("reading current.json: %w", err)
		}
		var cur struct {
			Version string ` + "`json:\"version\"`" + `
		}
		if err := json.Unmarshal(data, &cur); err != nil || cur.Version == "" {
			return Manifest{}, nil, fmt.Errorf("current.json does not name a version: %q", bytes.TrimSpace(data))
		}
		version = cur.Version
	}
	dir := "artifacts/" + version + "/"
	data, err := b.ReadAll(ctx, dir+"manifest.json")
	if gcerrors.Code(err) == gcerrors.NotFound {
		return Manifest{}, nil, fmt.Errorf("there is no artifact version %s", version)
	}
	if err != nil {
		return Manifest{}, nil, fmt.Errorf("reading the manifest of version %s: %w", version, err)
	}
	var head struct {
		SchemaVersion int ` + "`json:\"schema_version\"`" + `
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Manifest{}, nil, fmt.Errorf("the manifest of version %s is not JSON: %w", version, err)
	}
	if head.SchemaVersion != SchemaVersion {
		return Manifest{}, nil, fmt.Errorf("artifact version %s has manifest schema %d; this code reads schema %d: train it again", version, head.SchemaVersion, SchemaVersion)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, nil, fmt.Errorf("the manifest of version %s: %w", version, err)
	}
	values := map[string][]byte{}
	for _, v := range m.Values {
		data, err := b.ReadAll(ctx, dir+"values/"+v.Name+".json")
		if err != nil {
			return Manifest{}, nil, fmt.Errorf("reading value %s of version %s: %w", v.Name, version, err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != v.SHA256 {
			return Manifest{}, nil, fmt.Errorf("value %s of version %s is corrupt: its sha256 does not match the manifest", v.Name, version)
		}
		values[v.Name] = data
	}
	return m, values, nil
}

// Fingerprint records the training inputs: every setting in flags (name → value), and the
// contents of each file that a setting's value or one of files names. The fingerprint is the
// sha256 of them all, so two trainings from the same data and settings have the same one.
func Fingerprint(flags map[string]string, files []string) ([]Input, string) {
	var inputs []Input
	names := make([]string, 0, len(flags))
	for n := range flags {
		names = append(names, n)
	}
	slices.Sort(names)
	seen := map[string]bool{}
	addFile := func(name, path string) {
		in := Input{Name: name, Value: path}
		if f, err := os.Open(path); err == nil {
			h := sha256.New()
			n, err := io.Copy(h, f)
			f.Close()
			if st, _ := os.Stat(path); err == nil && st.Mode().IsRegular() {
				in.SHA256, in.Bytes = hex.EncodeToString(h.Sum(nil)), n
			}
		}
		inputs = append(inputs, in)
	}
	for _, n := range names {
		v := flags[n]
		if st, err := os.Stat(v); err == nil && st.Mode().IsRegular() {
			seen[v] = true
			addFile(n, v)
			continue
		}
		inputs = append(inputs, Input{Name: n, Value: v})
	}
	for _, f := range files {
		if !seen[f] {
			seen[f] = true
			addFile("file", f)
		}
	}
	h := sha256.New()
	for _, in := range inputs {
		fmt.Fprintf(h, "%s=%s %s\n", in.Name, strconv.Quote(in.Value), in.SHA256)
	}
	return inputs, hex.EncodeToString(h.Sum(nil))
}

// CodeRevision is the version control revision the binary was built from: the Go build's
// vcs.revision (with +dirty when modified), else $CODE_REVISION, else "unknown".
func CodeRevision(getenv func(string) string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "+dirty"
			}
			return rev
		}
	}
	if r := getenv("CODE_REVISION"); r != "" {
		return r
	}
	return "unknown"
}

// Clock returns the time to stamp an artifact with: $SOURCE_DATE_EPOCH (seconds) when set,
// for reproducible builds, else the current time.
func Clock(getenv func(string) string) func() time.Time {
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			t := time.Unix(sec, 0).UTC()
			return func() time.Time { return t }
		}
	}
	return func() time.Time { return time.Now().UTC() }
}
`

// driverFiles returns internal/artifact's optional storage drivers, one file per build tag:
// go build -tags s3 links the AWS SDK, and so on. A default build links only fileblob, so the
// server, the image and every test that imports internal/artifact stay free of the cloud SDKs.
func driverFiles() map[string][]byte {
	files := map[string][]byte{}
	for _, d := range []struct{ tag, pkg, url string }{
		{"s3", "s3blob", "s3://bucket?region=..."},
		{"gcs", "gcsblob", "gs://bucket"},
		{"azblob", "azureblob", "azblob://container"},
	} {
		files["internal/artifact/drivers_"+d.tag+".go"] = fmt.Appendf(nil, `//go:build %[1]s

package artifact

// The %[2]s driver opens %[3]s. It is linked only into binaries built with -tags %[1]s
// (make build TAGS=%[1]s), so that builds which do not need it stay free of its SDK.
import _ "gocloud.dev/blob/%[2]s"
`, d.tag, d.pkg, d.url)
	}
	return files
}

// renderBatchTrain returns cmd/<slug>/main.go for a library with trained values: the notebook's
// pipeline, and train, which saves the trained values as an artifact.
func (p *Plan) renderBatchTrain() []byte {
	var files []string
	for _, a := range p.Assets {
		files = append(files, fmt.Sprintf("%q", a.Path))
	}
	return []byte(strings.NewReplacer(
		"SLUG", p.Slug,
		"NOTEBOOK", p.Notebook,
		"LIBPATH", p.Module+"/"+p.Slug,
		"ARTIFACTPATH", p.Module+"/internal/artifact",
		"FILES", strings.Join(files, ", "),
	).Replace(batchTrainSrc))
}

const batchTrainSrc = `// Command SLUG runs what the notebook NOTEBOOK ran, as a program, and trains the service's
// model.
//
// Usage:
//
//	SLUG [flags]          run the notebook's pipeline
//	SLUG train [flags]    compute the trained values and save them as a new artifact version
//
// train writes to -model-url, else $MODEL_URL, else ./model: file:///dir, s3://bucket,
// gs://bucket, azblob://container, or a directory path; the cloud URLs need a binary built
// with the driver's tag (-tags s3, gcs or azblob). The server loads the artifact from
// the same URL at start. The manifest records the notebook's sha256, the code revision
// (vcs.revision, else $CODE_REVISION), a fingerprint of the settings and data files the
// training read, the Go version and the time ($SOURCE_DATE_EPOCH when set).
//
// GoNB called flag.Parse before every cell, so flags the notebook declares work here too.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"LIBPATH"
	"ARTIFACTPATH"
)

// trainingFiles are the data files the notebook read by relative path; train fingerprints them
// with every flag's value that names a file.
var trainingFiles = []string{FILES}

func main() {
	train := len(os.Args) > 1 && os.Args[1] == "train"
	if train {
		os.Args = append(os.Args[:1:1], os.Args[2:]...)
	}
	modelURL := flag.String("model-url", artifact.DefaultURL(os.Getenv), "where train saves the artifact: file:///dir, s3://bucket, gs://bucket, azblob://container or a directory (env MODEL_URL)")
	flag.Parse()
	if !train {
		SLUG.Run()
		return
	}
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "SLUG train: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	m, err := trainAndSave(context.Background(), *modelURL, settings(), artifact.Clock(os.Getenv)())
	if err != nil {
		fmt.Fprintln(os.Stderr, "SLUG train:", err)
		os.Exit(1)
	}
	fmt.Printf("saved artifact version %s to %s\n", m.Version, *modelURL)
	for _, v := range m.Values {
		fmt.Printf("  %s  %d bytes  sha256 %s\n", v.Name, v.Bytes, v.SHA256[:12])
	}
	fmt.Printf("input fingerprint %s\n", m.InputFingerprint[:16])
}

// settings returns every flag's value but -model-url's: the training's settings.
func settings() map[string]string {
	s := map[string]string{}
	flag.VisitAll(func(f *flag.Flag) {
		if f.Name != "model-url" {
			s[f.Name] = f.Value.String()
		}
	})
	return s
}

// missingInputs returns the data files and file-like settings that do not exist before
// training starts.
func missingInputs(flags map[string]string) []string {
	var missing []string
	for _, p := range trainingFiles {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, p)
		}
	}
	for _, v := range flags {
		if filepath.Ext(v) != "" && !filepath.IsAbs(v) && !strings.Contains(v, "://") {
			if _, err := os.Stat(v); err != nil && !slices.Contains(missing, v) {
				missing = append(missing, v)
			}
		}
	}
	slices.Sort(missing)
	return missing
}

// explainMissing adds the likely cause to a failed training: data files that were not there.
// A database driver such as SQLite creates an empty file for a path that does not exist, so
// training then fails with "no such table"; that empty file is removed again, so that the
// next run fails the same way instead of finding a database with no data.
func explainMissing(err error, missing []string) error {
	var absent []string
	for _, p := range missing {
		st, serr := os.Stat(p)
		switch {
		case serr != nil:
			absent = append(absent, p)
		case st.Mode().IsRegular() && st.Size() == 0:
			os.Remove(p)
			absent = append(absent, p)
		}
	}
	if len(absent) == 0 {
		return err
	}
	wd, _ := os.Getwd()
	return fmt.Errorf("%w\n(%s not found in %s: run train from the directory that holds the training data, or name the files with their flags)", err, strings.Join(absent, ", "), wd)
}

// trainAndSave computes the trained values and saves them at url, stamped with now.
func trainAndSave(ctx context.Context, url string, flags map[string]string, now time.Time) (artifact.Manifest, error) {
	missing := missingInputs(flags)
	values, err := SLUG.Train()
	if err != nil {
		return artifact.Manifest{}, explainMissing(err, missing)
	}
	b, err := artifact.OpenBucket(ctx, url, true)
	if err != nil {
		return artifact.Manifest{}, err
	}
	defer b.Close()
	inputs, fp := artifact.Fingerprint(flags, trainingFiles)
	return artifact.Save(ctx, b, artifact.Manifest{
		Notebook:         artifact.Notebook,
		NotebookSHA256:   artifact.NotebookSHA256,
		CodeRevision:     artifact.CodeRevision(os.Getenv),
		InputFingerprint: fp,
		Inputs:           inputs,
		GoVersion:        runtime.Version(),
		CreatedAt:        now,
	}, values)
}
`

// renderBatchTrainTest returns cmd/<slug>/main_test.go: train started where its data is not.
func (p *Plan) renderBatchTrainTest() []byte {
	return []byte(strings.NewReplacer("SLUG", p.Slug).Replace(batchTrainTestSrc))
}

const batchTrainTestSrc = `package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTrainWithoutItsData starts train in an empty directory: the error names the data files
// that are missing, and no empty file is left where a driver created one.
func TestTrainWithoutItsData(t *testing.T) {
	if len(trainingFiles) == 0 {
		t.Skip("training reads no data file by relative path")
	}
	dir := t.TempDir()
	t.Chdir(dir)
	_, err := trainAndSave(context.Background(), filepath.Join(dir, "model"), map[string]string{}, time.Unix(0, 0).UTC())
	if err == nil {
		t.Skip("training succeeded without its data files")
	}
	for _, f := range trainingFiles {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("the error does not name the missing %s:\n%v", f, err)
		}
		if st, serr := os.Stat(f); serr == nil && st.Size() == 0 {
			t.Errorf("train left an empty %s behind", f)
		}
	}
}
`

// renderTrainedTest returns <slug>/trained_test.go: train, save, load, and the notebook's
// golden outputs computed through the loaded artifact.
func (p *Plan) renderTrainedTest() []byte {
	golden := "\tcheckNotebookOutputs(t)\n"
	if reason := p.goldenBlocker(); reason != "" {
		golden = fmt.Sprintf("\tt.Log(%q)\n", "no golden outputs to compare: "+reason)
	}
	return []byte(strings.NewReplacer(
		"SLUG", p.Slug,
		"ARTIFACTPATH", p.Module+"/internal/artifact",
		"GOLDEN\n", golden,
	).Replace(trainedTestSrc))
}

const trainedTestSrc = `package SLUG

import (
	"bytes"
	"context"
	"testing"
	"time"

	"ARTIFACTPATH"
)

// TestArtifactRoundTrip trains, saves the artifact in a local bucket, loads it back, and checks
// that the loaded values are the trained ones and that the notebook's saved outputs come out
// the same when computed through them.
func TestArtifactRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the model")
	}
	ctx := context.Background()
	values, err := Train()
	if err != nil {
		t.Fatal(err)
	}
	b, err := artifact.OpenBucket(ctx, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	saved, err := artifact.Save(ctx, b, artifact.Manifest{NotebookSHA256: artifact.NotebookSHA256, CreatedAt: created}, values)
	if err != nil {
		t.Fatal(err)
	}
	m, loaded, err := artifact.Load(ctx, b, "")
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != saved.Version || !m.CreatedAt.Equal(created) || m.SchemaVersion != artifact.SchemaVersion {
		t.Fatalf("loaded manifest %+v, saved %+v", m, saved)
	}
	if err := LoadTrained(loaded); err != nil {
		t.Fatal(err)
	}
	if !TrainedLoaded() {
		t.Fatal("after LoadTrained some trained value would still be computed on first use")
	}
	for _, name := range TrainedNames() {
		got, err := trainedValues[name].current()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, values[name]) {
			t.Errorf("%s: the loaded value differs from the trained one:\n%s\nwant\n%s", name, got, values[name])
		}
	}
GOLDEN
}

// TestLoadTrainedRejects checks that an artifact that does not fit this code is refused.
func TestLoadTrainedRejects(t *testing.T) {
	if err := LoadTrained(map[string][]byte{}); err == nil {
		t.Error("an artifact without values was accepted")
	}
	bad := map[string][]byte{"not-a-trained-value": []byte("1")}
	for _, name := range TrainedNames() {
		bad[name] = []byte(` + "`" + `{"no_such_field": 1}` + "`" + `)
	}
	if err := LoadTrained(bad); err == nil {
		t.Error("an artifact with unknown fields and values was accepted")
	}
}
`

const artifactTestSrc = `package artifact

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
)

func TestSaveLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := OpenBucket(ctx, filepath.Join(dir, "missing"), false); err == nil {
		t.Error("opening a missing directory without create succeeded")
	}
	b, err := OpenBucket(ctx, "file://"+filepath.ToSlash(dir), true)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, _, err := Load(ctx, b, ""); err == nil || !strings.Contains(err.Error(), "no artifact") {
		t.Fatalf("loading from an empty bucket: got %v, want an error saying there is no artifact", err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	values := map[string][]byte{"a": []byte("[1, 2]"), "b": []byte(` + "`" + `{"x": 1.5}` + "`" + `)}
	m, err := Save(ctx, b, Manifest{NotebookSHA256: NotebookSHA256, CreatedAt: now, GoVersion: "go-test"}, values)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Save(ctx, b, Manifest{CreatedAt: now}, values)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != again.Version || len(m.Version) != 16 {
		t.Errorf("versions %q and %q: the same values must give the same 16-digit version", m.Version, again.Version)
	}
	got, gotValues, err := Load(ctx, b, "")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(now) || got.SchemaVersion != SchemaVersion || len(gotValues) != 2 || string(gotValues["b"]) != string(values["b"]) {
		t.Errorf("loaded %+v %q", got, gotValues)
	}
	if _, _, err := Load(ctx, b, "0123456789abcdef"); err == nil {
		t.Error("loading a version that does not exist succeeded")
	}

	// A newer training becomes current; the older version can still be loaded by name, which is
	// how a bad model is rolled back (-model-version, $MODEL_VERSION).
	newer, err := Save(ctx, b, Manifest{CreatedAt: now.Add(time.Hour)}, map[string][]byte{"a": []byte("[3]"), "b": []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	if cur, _, err := Load(ctx, b, ""); err != nil || cur.Version != newer.Version {
		t.Fatalf("current version %q, %v; want the newer %q", cur.Version, err, newer.Version)
	}
	old, oldValues, err := Load(ctx, b, m.Version)
	if err != nil || old.Version != m.Version || string(oldValues["a"]) != "[1, 2]" {
		t.Fatalf("rolling back to %s: %v, %q", m.Version, err, oldValues["a"])
	}

	// A corrupt value and an unknown schema are refused.
	valuePath := filepath.Join(dir, "artifacts", m.Version, "values", "a.json")
	if err := os.WriteFile(valuePath, []byte("[1, 3]"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(ctx, b, m.Version); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("a changed value: got %v, want corrupt", err)
	}
	manPath := filepath.Join(dir, "artifacts", m.Version, "manifest.json")
	man, _ := os.ReadFile(manPath)
	man = []byte(strings.Replace(string(man), ` + "`" + `"schema_version": 1` + "`" + `, ` + "`" + `"schema_version": 99` + "`" + `, 1))
	if err := os.WriteFile(manPath, man, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(ctx, b, m.Version); err == nil || !strings.Contains(err.Error(), "schema 99") {
		t.Errorf("schema 99: got %v", err)
	}
}

// TestMissingDriver checks that a URL whose driver is not linked fails at once with the build
// tag that links it; a default build links none of the cloud drivers.
func TestMissingDriver(t *testing.T) {
	ctx := context.Background()
	checked := 0
	for scheme, tag := range driverTags {
		if blob.DefaultURLMux().ValidBucketScheme(scheme) {
			continue // linked: this test binary was built with the tag
		}
		url := scheme + "://b"
		_, err := OpenBucket(ctx, url, false)
		want := "opening the model storage " + url + ": this binary has no " + tag + " driver: build it with -tags " + tag + " (make build TAGS=" + tag + ")"
		if err == nil || err.Error() != want || !errors.Is(err, ErrNoDriver) {
			t.Errorf("OpenBucket(%s): got %v, want %s (ErrNoDriver)", url, err, want)
		}
		checked++
	}
	t.Logf("%d cloud drivers not linked", checked)
	if _, err := OpenBucket(ctx, "nosuch://b", false); err == nil || !strings.Contains(err.Error(), ` + "`" + `no storage driver for the scheme "nosuch"` + "`" + `) {
		t.Errorf("an unknown scheme: got %v", err)
	}
	if !blob.DefaultURLMux().ValidBucketScheme("file") {
		t.Error("the file driver is not linked")
	}
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(data, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in1, fp1 := Fingerprint(map[string]string{"path": data, "epochs": "10"}, []string{data})
	_, fp2 := Fingerprint(map[string]string{"epochs": "10", "path": data}, nil)
	if fp1 != fp2 || len(in1) != 2 || in1[1].SHA256 == "" {
		t.Errorf("fingerprints %s %s, inputs %+v", fp1, fp2, in1)
	}
	if _, fp3 := Fingerprint(map[string]string{"path": data, "epochs": "11"}, nil); fp3 == fp1 {
		t.Error("a changed setting kept the fingerprint")
	}
	os.WriteFile(data, []byte("a,b\n1,3\n"), 0o644)
	if _, fp4 := Fingerprint(map[string]string{"path": data, "epochs": "10"}, nil); fp4 == fp1 {
		t.Error("changed data kept the fingerprint")
	}
}

func TestClock(t *testing.T) {
	env := func(k string) string {
		if k == "SOURCE_DATE_EPOCH" {
			return "1700000000"
		}
		return ""
	}
	if got := Clock(env)(); got.Unix() != 1700000000 {
		t.Errorf("Clock with SOURCE_DATE_EPOCH = %v", got)
	}
	if DefaultURL(func(string) string { return "" }) != "model" || DefaultURL(func(string) string { return "s3://b" }) != "s3://b" {
		t.Error("DefaultURL")
	}
}
`
