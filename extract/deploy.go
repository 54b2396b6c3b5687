package extract

import (
	"fmt"
	"regexp"
	"strings"
)

// This file renders what deploys the service: the OCI image builder (cmd/image), the
// Kubernetes manifests (deploy/) and their tests, and the CI workflow. They exist only for a
// service with an HTTP API.

// deployFiles returns the deployment files of the service, keyed by slash path. Go files are
// not formatted yet.
func (p *Plan) deployFiles() map[string][]byte {
	r := strings.NewReplacer("SLUG", p.Slug, "MODULE", p.Module, "NOTEBOOK", p.Notebook)
	files := map[string][]byte{
		"cmd/image/main.go":         []byte(r.Replace(imageMainSrc)),
		"cmd/image/image_test.go":   []byte(r.Replace(imageTestSrc)),
		"deploy/doc.go":             []byte(r.Replace(deployDocSrc)),
		"deploy/kustomization.yaml": []byte(r.Replace(kustomizationYAML)),
		"deploy/configmap.yaml":     []byte(r.Replace(configMapYAML)),
		"deploy/deployment.yaml":    []byte(r.Replace(deploymentYAML)),
		"deploy/service.yaml":       []byte(r.Replace(serviceYAML)),
		"deploy/hpa.yaml":           []byte(r.Replace(hpaYAML)),
		"deploy/pdb.yaml":           []byte(r.Replace(pdbYAML)),
		"deploy/train-job.yaml":     []byte(r.Replace(trainJobYAML)),
		"cmd/server/deploy_test.go": []byte(r.Replace(deployTestSrc)),
		".github/workflows/ci.yml":  []byte(r.Replace(ciYAML)),
		".github/dependabot.yml":    []byte(dependabotYAML),
	}
	if len(p.Trained) == 0 {
		// Nothing to train: no Job, no model storage.
		delete(files, "deploy/train-job.yaml")
		cut := func(name, from, to string) {
			s := string(files[name])
			i := strings.Index(s, from)
			if i < 0 {
				return
			}
			j := strings.Index(s[i:], to)
			files[name] = []byte(s[:i] + s[i+j+len(to):])
		}
		cut("deploy/kustomization.yaml", "  - train-job.yaml\n", "\n")
		files["deploy/configmap.yaml"] = []byte(strings.ReplaceAll(configMapNoModelYAML, "SLUG", p.Slug))
		cut("cmd/server/deploy_test.go", "\t\t\"Job\":", "\n")
		cut("cmd/server/deploy_test.go", "\tif _, ok := env[\"MODEL_URL\"]", "\t}\n")
		cut("cmd/server/deploy_test.go", "\n// TestTrainJob", "\n}\n")
		cut("cmd/server/deploy_test.go", "\tbatchv1 \"k8s.io/api/batch/v1\"", "\n")
		cut(".github/workflows/ci.yml", "      - name: build and vet with every storage driver", "\n        run: go build -tags \"s3 gcs azblob\" ./... && go vet -tags \"s3 gcs azblob\" ./...\n")
	}
	return files
}

const imageMainSrc = `// Command image builds the service's OCI image without Docker, with go-containerregistry: one
// layer holding the static binaries /server (the entrypoint) and /SLUG (the batch command,
// for the training Job), run as user 65532, no shell, no base image. The image is written as
// an OCI layout directory and as an oci-archive tarball of it:
//
//	CGO_ENABLED=0 GOOS=linux go build -o bin/linux/ ./cmd/server ./cmd/SLUG
//	go run ./cmd/image -bin bin/linux -out bin/image
//	skopeo inspect oci:bin/image          # or oci-archive:bin/image.tar
//
// The trained artifact is not in the image: the server loads it from $MODEL_URL. With
// -artifact-dir the artifact directory is baked in at /model and MODEL_URL points there.
// Every timestamp is $SOURCE_DATE_EPOCH (else zero), so the same binaries give the same digest.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// options says what goes into the image.
type options struct {
	binDir      string    // holds server and SLUG, built for linux with CGO_ENABLED=0
	artifactDir string    // "" leaves the artifact out
	arch        string    // GOARCH of the binaries
	created     time.Time // every timestamp in the image
	name        string    // org.opencontainers.image.ref.name of the image in the layout
}

// user is the numeric user and group the image runs as: "nonroot" in distroless images.
const user = "65532:65532"

func main() {
	var o options
	out := flag.String("out", "bin/image", "write the OCI layout to this ` + "`dir`" + `, and an oci-archive to dir.tar")
	flag.StringVar(&o.binDir, "bin", "bin/linux", "` + "`dir`" + ` holding the static linux binaries server and SLUG")
	flag.StringVar(&o.artifactDir, "artifact-dir", "", "bake the artifact in this ` + "`dir`" + ` into the image at /model (default: not baked in)")
	flag.StringVar(&o.arch, "arch", envOr("GOARCH", runtime.GOARCH), "architecture of the binaries")
	flag.StringVar(&o.name, "name", "SLUG:latest", "image ` + "`name`" + ` recorded in the layout")
	flag.Parse()
	o.created = sourceDate()
	img, err := build(o)
	if err == nil {
		err = writeLayout(*out, img, o.name)
	}
	if err == nil {
		err = writeArchive(*out+".tar", *out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	d, _ := img.Digest()
	fmt.Printf("wrote %s (OCI layout) and %s.tar (oci-archive): %s\n", *out, *out, d)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// sourceDate is $SOURCE_DATE_EPOCH, else the zero Unix time.
func sourceDate() time.Time {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return time.Unix(s, 0).UTC()
	}
	return time.Unix(0, 0).UTC()
}

// build returns the image: one layer, the configuration, OCI media types.
func build(o options) (v1.Image, error) {
	layerTar, err := layerBytes(o)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("making the layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{
		Created:   v1.Time{Time: o.created},
		CreatedBy: "go run ./cmd/image",
		Comment:   "static binaries server and SLUG",
	}})
	if err != nil {
		return nil, fmt.Errorf("adding the layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", o.arch
	cf.Created = v1.Time{Time: o.created}
	cf.Config = v1.Config{
		User:         user,
		Entrypoint:   []string{"/server"},
		WorkingDir:   "/",
		Env:          []string{"ADDR=:8080"},
		ExposedPorts: map[string]struct{}{"8080/tcp": {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "SLUG",
			"org.opencontainers.image.description": "HTTP API extracted from NOTEBOOK",
		},
	}
	if o.artifactDir != "" {
		cf.Config.Env = append(cf.Config.Env, "MODEL_URL=file:///model")
	}
	return mutate.ConfigFile(img, cf)
}

// layerBytes returns the layer's tar: the binaries, /etc/passwd and /etc/group naming the
// user, and the artifact when asked. Entries are sorted and stamped with o.created.
func layerBytes(o options) ([]byte, error) {
	type entry struct {
		name string
		mode int64
		data []byte
		dir  bool
	}
	var entries []entry
	for _, bin := range []string{"server", "SLUG"} {
		data, err := os.ReadFile(filepath.Join(o.binDir, bin))
		if err != nil {
			return nil, fmt.Errorf("reading the binary (build it with CGO_ENABLED=0 GOOS=linux): %w", err)
		}
		entries = append(entries, entry{name: bin, mode: 0o755, data: data})
	}
	entries = append(entries,
		entry{name: "etc/", mode: 0o755, dir: true},
		entry{name: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		entry{name: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnonroot:x:65532:\n")},
	)
	if o.artifactDir != "" {
		entries = append(entries, entry{name: "model/", mode: 0o755, dir: true})
		err := filepath.WalkDir(o.artifactDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || path == o.artifactDir {
				return err
			}
			rel, _ := filepath.Rel(o.artifactDir, path)
			name := "model/" + filepath.ToSlash(rel)
			if d.IsDir() {
				entries = append(entries, entry{name: name + "/", mode: 0o755, dir: true})
				return nil
			}
			data, err := os.ReadFile(path)
			entries = append(entries, entry{name: name, mode: 0o644, data: data})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("reading the artifact: %w", err)
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: o.created, Typeflag: tar.TypeReg, Size: int64(len(e.data)), Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeLayout writes img as the only image of a new OCI layout at dir.
func writeLayout(dir string, img v1.Image, name string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing the OCI layout: %w", err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": name})); err != nil {
		return fmt.Errorf("writing the OCI layout: %w", err)
	}
	return nil
}

// writeArchive writes the layout at dir as an oci-archive: a tar of the layout's files, sorted.
// It writes a temporary file and renames it, so a failure leaves no half-written archive.
func writeArchive(path, dir string) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Close()
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}); err != nil {
			f.Close()
			return err
		}
		if _, err := tw.Write(data); err != nil {
			f.Close()
			return err
		}
	}
	if err := errors.Join(tw.Close(), f.Close()); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
`

const imageTestSrc = `package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// moduleRoot is the directory of go.mod above the test.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = filepath.Dir(dir)
	}
}

// withCgo reports whether the binaries are built with cgo: only when the environment says
// CGO_ENABLED=1, as the Makefile does when a library the service uses has cgo code. Otherwise
// they are static, as the image with no base needs.
func withCgo() bool { return os.Getenv("CGO_ENABLED") == "1" }

// TestImage builds the binaries as make image does, builds the image, opens it with
// go-containerregistry and checks the user, the entrypoint and the layer, then runs the server
// binary taken out of the layer. When skopeo is installed, it must accept the image too.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the static binaries")
	}
	cgo := "0"
	if withCgo() {
		cgo = "1"
	}
	bin := t.TempDir()
	gobuild := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin+string(filepath.Separator), "./cmd/server", "./cmd/SLUG")
	gobuild.Dir = moduleRoot(t)
	gobuild.Env = append(os.Environ(), "CGO_ENABLED="+cgo, "GOOS=linux")
	if out, err := gobuild.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	img, err := build(options{binDir: bin, arch: "amd64", created: created, name: "SLUG:test"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "image")
	if err := writeLayout(dir, img, "SLUG:test"); err != nil {
		t.Fatal(err)
	}
	if err := writeArchive(dir+".tar", dir); err != nil {
		t.Fatal(err)
	}

	// Open what was written, as a registry client would.
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("index manifest: %v, %d images", err, len(im.Manifests))
	}
	got, err := p.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	if mt, _ := got.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s", mt)
	}
	cf, err := got.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/server" || cf.OS != "linux" {
		t.Errorf("config: user %q, entrypoint %q, os %q", cf.Config.User, cf.Config.Entrypoint, cf.OS)
	}
	if !cf.Created.Time.Equal(created) {
		t.Errorf("created %v, want %v", cf.Created, created)
	}
	layers, err := got.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %v, %d", err, len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		files[h.Name] = data
		if h.Name == "server" && h.Mode&0o111 == 0 {
			t.Errorf("/server is not executable: mode %o", h.Mode)
		}
	}
	for _, shell := range []string{"bin/sh", "bin/bash", "bin/busybox"} {
		if _, ok := files[shell]; ok {
			t.Errorf("the image has a shell: /%s", shell)
		}
	}
	for _, name := range []string{"server", "SLUG", "etc/passwd"} {
		if _, ok := files[name]; !ok {
			t.Errorf("the layer lacks /%s", name)
		}
	}
	for _, name := range []string{"model/current.json"} {
		if _, ok := files[name]; ok {
			t.Errorf("the artifact is baked in (/%s) though nobody asked", name)
		}
	}

	// The server binary out of the layer: static, and it runs.
	server := filepath.Join(t.TempDir(), "server")
	if err := os.WriteFile(server, files["server"], 0o755); err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(files["server"]))
	if err != nil {
		t.Fatal(err)
	}
	for _, prog := range ef.Progs {
		if prog.Type == elf.PT_INTERP && !withCgo() {
			t.Error("the server binary is dynamically linked (it has an ELF interpreter); build it with CGO_ENABLED=0")
		}
	}
	if out, err := exec.Command(server, "-version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "server ") {
		t.Errorf("server -version from the image: %v: %s", err, out)
	}

	// Built twice from the same binaries, the image is the same.
	again, err := build(options{binDir: bin, arch: "amd64", created: created, name: "SLUG:test"})
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two builds differ: %s and %s", d1, d2)
	}

	skopeo, err := exec.LookPath("skopeo")
	if err != nil {
		t.Log("skopeo not installed: not checked with skopeo inspect")
		return
	}
	for _, ref := range []string{"oci:" + dir, "oci-archive:" + dir + ".tar"} {
		out, err := exec.Command(skopeo, "inspect", "--config", ref).Output()
		if err != nil {
			t.Errorf("skopeo inspect %s: %v", ref, err)
			continue
		}
		var inspected struct {
			Config struct{ User string }
		}
		if err := json.Unmarshal(out, &inspected); err != nil || inspected.Config.User != "65532:65532" {
			t.Errorf("skopeo inspect --config %s: user %q, %v", ref, inspected.Config.User, err)
		}
	}
}

// TestImageWithArtifact bakes an artifact in on request.
func TestImageWithArtifact(t *testing.T) {
	bin, art := t.TempDir(), t.TempDir()
	for _, name := range []string{"server", "SLUG"} {
		os.WriteFile(filepath.Join(bin, name), []byte("not really a binary"), 0o755)
	}
	os.WriteFile(filepath.Join(art, "current.json"), []byte(` + "`" + `{"version": "x"}` + "`" + `), 0o644)
	img, err := build(options{binDir: bin, artifactDir: art, arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if !strings.Contains(strings.Join(cf.Config.Env, " "), "MODEL_URL=file:///model") {
		t.Errorf("env %q lacks MODEL_URL", cf.Config.Env)
	}
	layers, _ := img.Layers()
	rc, _ := layers[0].Uncompressed()
	defer rc.Close()
	tr := tar.NewReader(rc)
	found := false
	for h, err := tr.Next(); err == nil; h, err = tr.Next() {
		found = found || h.Name == "model/current.json"
	}
	if !found {
		t.Error("the artifact is not in the layer")
	}
}
`

const deployDocSrc = `// Package deploy holds the service's Kubernetes manifests, plain YAML with a
// kustomization.yaml: kubectl apply -k deploy/. They are embedded so the tests read exactly
// the files that ship; cmd/server's tests decode each one strictly into the k8s.io/api types
// and check the probes and ports against the server's routes and flags.
package deploy

import "embed"

// Manifests are the YAML files of this directory.
//
//go:embed *.yaml
var Manifests embed.FS
`

const kustomizationYAML = `# kubectl apply -k deploy/   (set the image with: kustomize edit set image SLUG=<registry>/SLUG:<tag>)
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
labels:
  - pairs:
      app.kubernetes.io/name: SLUG
      app.kubernetes.io/part-of: SLUG
resources:
  - configmap.yaml
  - deployment.yaml
  - service.yaml
  - hpa.yaml
  - pdb.yaml
  - train-job.yaml
images:
  - name: SLUG
    newTag: latest
`

const configMapYAML = `# The server's and the training Job's configuration. MODEL_URL is where train saves the
# artifact and the server loads it: s3://bucket?region=..., gs://bucket, azblob://container.
# The image must link the store's driver: build it with make image TAGS=s3 for s3:// (gcs for
# gs://, azblob for azblob://); a binary without the driver refuses to start and names the tag.
apiVersion: v1
kind: ConfigMap
metadata:
  name: SLUG-config
data:
  MODEL_URL: "s3://CHANGE-ME/SLUG?region=us-east-1"
  ADDR: ":8080"
  ACCESS_LOG: "true"
`

const configMapNoModelYAML = `# The server's configuration.
apiVersion: v1
kind: ConfigMap
metadata:
  name: SLUG-config
data:
  ADDR: ":8080"
  ACCESS_LOG: "true"
`

const deploymentYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: SLUG
  labels:
    app.kubernetes.io/name: SLUG
spec:
  replicas: 2
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: SLUG
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        app.kubernetes.io/name: SLUG
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "8080"
        prometheus.io/path: /metrics
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 30
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: server
          image: SLUG
          imagePullPolicy: IfNotPresent
          args: ["-shutdown-timeout", "20s"]
          envFrom:
            - configMapRef:
                name: SLUG-config
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 10
            timeoutSeconds: 2
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: 5
            timeoutSeconds: 2
            failureThreshold: 2
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: 2
            failureThreshold: 30
          resources:
            requests:
              cpu: 100m
              memory: 64Mi
            limits:
              memory: 256Mi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            capabilities:
              drop: ["ALL"]
`

const serviceYAML = `apiVersion: v1
kind: Service
metadata:
  name: SLUG
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: SLUG
  ports:
    - name: http
      port: 80
      targetPort: http
      protocol: TCP
`

const hpaYAML = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: SLUG
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: SLUG
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 70
`

const pdbYAML = `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: SLUG
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: SLUG
`

const trainJobYAML = `# Trains the model and saves a new artifact version at $MODEL_URL; the server loads the
# current version when it starts (kubectl rollout restart deployment/SLUG picks it up).
# The training data comes from the volume: replace the claim with where your data lives.
apiVersion: batch/v1
kind: Job
metadata:
  name: SLUG-train
spec:
  backoffLimit: 2
  ttlSecondsAfterFinished: 86400
  template:
    metadata:
      labels:
        app.kubernetes.io/name: SLUG-train
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: train
          image: SLUG
          command: ["/SLUG", "train"]
          workingDir: /data
          envFrom:
            - configMapRef:
                name: SLUG-config
          volumeMounts:
            - name: training-data
              mountPath: /data
              readOnly: true
          resources:
            requests:
              cpu: 500m
              memory: 256Mi
            limits:
              memory: 1Gi
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
      volumes:
        - name: training-data
          persistentVolumeClaim:
            claimName: SLUG-training-data
            readOnly: true
`

const deployTestSrc = `package main

import (
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	"MODULE/deploy"
)

// manifest decodes deploy/name strictly into v: an unknown or misspelt field fails.
func manifest(t *testing.T, name string, v any) {
	t.Helper()
	data, err := fs.ReadFile(deploy.Manifests, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, v); err != nil {
		t.Fatalf("deploy/%s: %v", name, err)
	}
}

// TestManifestsDecodeStrictly decodes every manifest into its k8s.io/api type, and checks that
// kustomization.yaml lists each of them.
func TestManifestsDecodeStrictly(t *testing.T) {
	var kust struct {
		APIVersion string ` + "`json:\"apiVersion\"`" + `
		Kind       string ` + "`json:\"kind\"`" + `
		Labels     []struct {
			Pairs map[string]string ` + "`json:\"pairs\"`" + `
		} ` + "`json:\"labels\"`" + `
		Resources []string ` + "`json:\"resources\"`" + `
		Images    []struct {
			Name   string ` + "`json:\"name\"`" + `
			NewTag string ` + "`json:\"newTag\"`" + `
		} ` + "`json:\"images\"`" + `
	}
	manifest(t, "kustomization.yaml", &kust)
	if kust.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml has kind %q", kust.Kind)
	}
	kinds := map[string]func() any{
		"Deployment":              func() any { return new(appsv1.Deployment) },
		"Service":                 func() any { return new(corev1.Service) },
		"ConfigMap":               func() any { return new(corev1.ConfigMap) },
		"HorizontalPodAutoscaler": func() any { return new(autoscalingv2.HorizontalPodAutoscaler) },
		"PodDisruptionBudget":     func() any { return new(policyv1.PodDisruptionBudget) },
		"Job":                     func() any { return new(batchv1.Job) },
	}
	files, _ := fs.Glob(deploy.Manifests, "*.yaml")
	seen := map[string]bool{}
	for _, f := range files {
		if f == "kustomization.yaml" {
			continue
		}
		if !slices.Contains(kust.Resources, f) {
			t.Errorf("deploy/%s is not in kustomization.yaml's resources", f)
		}
		var head struct {
			Kind string ` + "`json:\"kind\"`" + `
		}
		data, _ := fs.ReadFile(deploy.Manifests, f)
		if err := yaml.Unmarshal(data, &head); err != nil {
			t.Fatalf("deploy/%s: %v", f, err)
		}
		mk, ok := kinds[head.Kind]
		if !ok {
			t.Errorf("deploy/%s: kind %q is not checked", f, head.Kind)
			continue
		}
		manifest(t, f, mk())
		seen[head.Kind] = true
	}
	for k := range kinds {
		if !seen[k] {
			t.Errorf("no manifest of kind %s", k)
		}
	}
}

// TestReadmeListsEveryFlag checks that the README's table names every flag of the server.
func TestReadmeListsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile(repoFile(t, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var usage strings.Builder
	if _, err := parseConfig([]string{"-h"}, func(string) string { return "" }, &usage); err == nil {
		t.Fatal("-h did not stop parsing")
	}
	// The library's settings (SLUG/config.go, when it has one) are listed from that file when
	// the README is rendered; a refactoring that adds one is checked before that happens.
	libConfig, _ := os.ReadFile(repoFile(t, "SLUG/config.go"))
	n := 0
	for _, line := range strings.Split(usage.String(), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(line, "  -") {
			continue
		}
		n++
		if strings.Contains(string(libConfig), strconv.Quote(f[0][1:])) {
			continue
		}
		if name := f[0]; !strings.Contains(string(readme), "\x60"+name+"\x60") {
			t.Errorf("the README does not list the server flag %s", name)
		}
	}
	if n == 0 {
		t.Fatalf("no flags in the usage text:\n%s", usage.String())
	}
}

// TestDeploymentMatchesServer checks the Deployment against the server: the probes ask the
// routes that answer liveness and readiness, on the port the server listens on given the
// container's arguments and the ConfigMap's environment, and the pod runs locked down.
func TestDeploymentMatchesServer(t *testing.T) {
	var d appsv1.Deployment
	manifest(t, "deployment.yaml", &d)
	var cm corev1.ConfigMap
	manifest(t, "configmap.yaml", &cm)
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(d.Spec.Template.Spec.Containers))
	}
	c := d.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil || from.ConfigMapRef.Name != cm.Name {
			t.Errorf("envFrom %+v does not name the ConfigMap %s", from, cm.Name)
		}
		for k, v := range cm.Data {
			env[k] = v
		}
	}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	cfg, err := parseConfig(c.Args, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("the container's args %q do not parse: %v", c.Args, err)
	}
	_, portText, err := net.SplitHostPort(cfg.addr)
	if err != nil {
		t.Fatal(err)
	}
	listenPort, _ := strconv.Atoi(portText)
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if len(ports) != 1 || ports["http"] != int32(listenPort) {
		t.Errorf("container ports %v; the server listens on %s", ports, cfg.addr)
	}
	if host, _, _ := net.SplitHostPort(cfg.addr); host != "" && host != "0.0.0.0" {
		t.Errorf("the server listens on %s: not reachable from outside the pod", cfg.addr)
	}

	h := observed(io.Discard, func() bool { return true })
	probes := map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe}
	wantPath := map[string]string{"liveness": "/healthz", "readiness": "/readyz", "startup": "/healthz"}
	for kind, p := range probes {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("no HTTP %s probe", kind)
			continue
		}
		if p.HTTPGet.Path != wantPath[kind] {
			t.Errorf("%s probe asks %s, want %s", kind, p.HTTPGet.Path, wantPath[kind])
		}
		if port := p.HTTPGet.Port; port.StrVal != "http" && int(port.IntVal) != listenPort {
			t.Errorf("%s probe port %s is not the server's port %d", kind, port.String(), listenPort)
		}
		if rec := serveTest(h, "GET", p.HTTPGet.Path, ""); rec.Code != http.StatusOK {
			t.Errorf("%s probe GET %s: the server answers %d", kind, p.HTTPGet.Path, rec.Code)
		}
	}
	if scrape := d.Spec.Template.Annotations["prometheus.io/path"]; scrape != "" {
		if rec := serveTest(h, "GET", scrape, ""); rec.Code != http.StatusOK {
			t.Errorf("the scrape path %s answers %d", scrape, rec.Code)
		}
	}

	pod, sc := d.Spec.Template.Spec.SecurityContext, c.SecurityContext
	if pod == nil || pod.RunAsNonRoot == nil || !*pod.RunAsNonRoot || pod.SeccompProfile == nil || pod.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("the pod must run as non-root with the RuntimeDefault seccomp profile")
	}
	if pod != nil && (pod.RunAsUser == nil || *pod.RunAsUser != 65532) {
		t.Error("the pod must run as user 65532, the image's user")
	}
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Error("the container must have a read-only root filesystem, no privilege escalation and drop ALL capabilities")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Error("the container needs a CPU request and a memory limit")
	}
	if _, ok := env["MODEL_URL"]; !ok {
		t.Error("the ConfigMap does not set MODEL_URL: the server would look for ./model")
	}

	var svc corev1.Service
	manifest(t, "service.yaml", &svc)
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("the Service does not target the http port: %+v", svc.Spec.Ports)
	}
	for k, v := range svc.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("the Service selects %s=%s, which the pods do not carry", k, v)
		}
	}
	var hpa autoscalingv2.HorizontalPodAutoscaler
	manifest(t, "hpa.yaml", &hpa)
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != d.Name {
		t.Errorf("the HPA scales %s/%s, not the Deployment %s", hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name, d.Name)
	}
	var pdb policyv1.PodDisruptionBudget
	manifest(t, "pdb.yaml", &pdb)
	for k, v := range pdb.Spec.Selector.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("the PDB selects %s=%s, which the pods do not carry", k, v)
		}
	}
}

// TestTrainJob checks that the training Job runs the batch command's train with the
// ConfigMap's MODEL_URL, locked down like the server.
func TestTrainJob(t *testing.T) {
	var job batchv1.Job
	manifest(t, "train-job.yaml", &job)
	c := job.Spec.Template.Spec.Containers[0]
	if strings.Join(c.Command, " ") != "/SLUG train" {
		t.Errorf("the Job runs %q, want /SLUG train", c.Command)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != "SLUG-config" {
		t.Error("the Job does not take MODEL_URL from the ConfigMap")
	}
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restart policy %s", job.Spec.Template.Spec.RestartPolicy)
	}
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("the Job's container must have a read-only root filesystem")
	}
}
`

const ciYAML = `# Vet, test, and build the image on every push and pull request.
name: ci
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with:
          go-version-file: go.mod
      - name: skopeo (the image test inspects the image with it)
        run: sudo apt-get update && sudo apt-get install -y skopeo
      - name: vet
        run: make vet
      - name: test
        run: go test ./...
      - name: build and vet with every storage driver (the build tags s3, gcs and azblob)
        run: go build -tags "s3 gcs azblob" ./... && go vet -tags "s3 gcs azblob" ./...
      - name: image
        run: make image
      - name: inspect the image
        run: skopeo inspect oci-archive:bin/image.tar
`

const dependabotYAML = `version: 2
updates:
  - package-ecosystem: gomod
    directory: /
    schedule:
      interval: weekly
    groups:
      go-modules:
        patterns: ["*"]
  - package-ecosystem: github-actions
    directory: /
    schedule:
      interval: weekly
`

// readmeOperations is the README's section on training, serving and deploying, with every
// flag and environment variable of the server and the batch command.
func (p *Plan) readmeOperations(o *Output) string {
	var sb strings.Builder
	r := strings.NewReplacer("SLUG", p.Slug)
	if len(p.Trained) > 0 {
		var names []string
		for _, t := range p.Trained {
			names = append(names, fmt.Sprintf("`%s` (cell %d)", t.Name, t.Cell))
		}
		sb.WriteString(r.Replace("## Train, then serve\n\nThe server never trains. `SLUG train` computes the trained values (" + strings.Join(names, ", ") +
			") and saves them as a new artifact version in blob storage; the server loads the current version at start and " +
			"refuses to start without one.\n\n```sh\nmake train                                   # cd SLUG && go run ../cmd/SLUG train -model-url $(MODEL_URL)\n" +
			"make serve                                   # go run ./cmd/server -model-url $(MODEL_URL)\n" +
			"MODEL_URL=s3://bucket?region=eu-west-1 make train\n```\n\n" +
			"Storage URLs: `file:///dir` or a directory path (default `./model`), `s3://bucket`, `gs://bucket`, `azblob://container`; " +
			"`?prefix=SLUG/` keeps several services in one bucket. Credentials come from each cloud's usual environment " +
			"(AWS_*, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY).\n\n" +
			"The file driver is always linked; each cloud driver is linked by a build tag, so that a default build (and every test) " +
			"stays free of the cloud SDKs: `s3` for `s3://`, `gcs` for `gs://`, `azblob` for `azblob://`. Pass them with `TAGS` to " +
			"every make target (`make build TAGS=s3`, `make train serve TAGS=s3`, `make image TAGS=\"s3 gcs\"`) or with `-tags` to the go command. " +
			"A binary without the driver for its URL refuses to start and names the tag: `this binary has no s3 driver: build it with -tags s3 (make build TAGS=s3)`.\n\n" +
			"An artifact is `artifacts/<version>/manifest.json` and `artifacts/<version>/values/<name>.json` (JSON, strictly decoded), and `current.json` " +
			"naming the version in use. The manifest records the schema version, the notebook's sha256, the code revision, a fingerprint of the " +
			"settings and data files the training read, the Go version and the time.\n\n"))
	}
	sb.WriteString(r.Replace("## Operate\n\n" +
		"- `GET /healthz`: liveness. `GET /readyz`: readiness (503 while shutting down). `GET /metrics`: Prometheus " +
		"(`http_requests_total{route,code}`, `http_request_duration_seconds{route}`, `http_requests_in_flight`, `service_build_info`, Go runtime).\n" +
		"- Logs: JSON lines on stderr, one access line per request with method, route, status, duration and request ID. " +
		"`X-Request-ID` is kept when the client sends a sane one, else generated, and always returned.\n" +
		"- SIGINT/SIGTERM: `/readyz` turns 503, requests in flight finish; a second signal exits at once.\n\n"))
	sb.WriteString("### Server flags and environment\n\n| flag | environment | default | what |\n|---|---|---|---|\n")
	rows := [][4]string{
		{"-addr", "`$ADDR`, then `$PORT` (as `:$PORT`)", "127.0.0.1:8080", "listen address"},
		{"-admin-addr", "`$ADMIN_ADDR`", "off", "also serve pprof and /metrics here; keep it private"},
		{"-access-log", "`$ACCESS_LOG`", "true", "one log line per request"},
	}
	if len(p.Trained) > 0 {
		rows = append(rows,
			[4]string{"-model-url", "`$MODEL_URL`", "./model", "where to load the artifact from; `s3://`, `gs://` and `azblob://` need the build tag `s3`, `gcs` or `azblob`"},
			[4]string{"-model-version", "`$MODEL_VERSION`", "current", "artifact version to load"})
	}
	rows = append(rows,
		[4]string{"-max-body-bytes", "", "1048576", "request body limit; larger bodies get 413"},
		[4]string{"-max-header-bytes", "", "65536", "request header limit"},
		[4]string{"-read-header-timeout", "", "5s", "time to read the request headers"},
		[4]string{"-read-timeout", "", "10s", "time to read a whole request"},
		[4]string{"-write-timeout", "", "30s", "time to compute and write a response"},
		[4]string{"-idle-timeout", "", "2m", "time a keep-alive connection may stay idle"},
		[4]string{"-shutdown-timeout", "", "15s", "time requests in flight get on SIGINT or SIGTERM"},
		[4]string{"-version", "", "", "print the version and exit"},
	)
	for _, row := range rows {
		fmt.Fprintf(&sb, "| `%s` | %s | %s | %s |\n", row[0], row[1], row[2], row[3])
	}
	for _, c := range libraryFlags(o.Files[p.Slug+"/config.go"]) {
		fmt.Fprintf(&sb, "| `-%s` | `$%s` | %s | %s (`%s/config.go`; the batch command takes it too) |\n", c[0], c[2], c[3], c[1], p.Slug)
	}
	sb.WriteString("\n")
	if len(p.Trained) > 0 {
		sb.WriteString(r.Replace("### Batch command flags and environment\n\n| flag | environment | what |\n|---|---|---|\n" +
			"| `train` (first argument) | | train and save an artifact instead of running the notebook's pipeline |\n" +
			"| `-model-url` | `$MODEL_URL` | where train saves the artifact (default `./model`; a cloud URL needs its build tag, as for the server) |\n" +
			"| | `$SOURCE_DATE_EPOCH` | the artifact's time, for reproducible artifacts (default: now) |\n" +
			"| | `$CODE_REVISION` | the code revision when the binary carries no vcs.revision |\n\n"))
	}
	imageCmd := "make image                                   # bin/image (OCI layout), bin/image.tar (oci-archive); no Docker\n"
	if len(p.Trained) > 0 {
		imageCmd = "make image TAGS=s3                           # bin/image (OCI layout), bin/image.tar (oci-archive); no Docker; s3:// driver linked\n"
	}
	sb.WriteString(r.Replace("## Deploy\n\n" +
		"```sh\n" + imageCmd +
		"skopeo inspect oci-archive:bin/image.tar\n" +
		"skopeo copy oci-archive:bin/image.tar docker://registry.example.com/SLUG:0.1.0\n" +
		"kubectl apply -k deploy/\n```\n\n"))
	if p.Cgo {
		sb.WriteString("A library the service uses has cgo code, so the binaries are built with `CGO_ENABLED=1` (the Makefile sets it) and link its " +
			"C libraries, which an image with no base lacks: add a base image that has them. ")
		sb.WriteString("The image holds the binaries")
	} else {
		sb.WriteString("The image holds the static (`CGO_ENABLED=0`) binaries")
	}
	sb.WriteString(r.Replace(" `/server` (the entrypoint) and `/SLUG`, runs as user 65532, and has no shell " +
		"and no base image. The artifact is not baked in (`go run ./cmd/image -artifact-dir model` does it on request).\n\n" +
		"`deploy/` is plain YAML with a kustomization: a Deployment (liveness on `/healthz`, readiness on `/readyz`, resources, " +
		"non-root, read-only root filesystem, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp), a Service, " +
		"a HorizontalPodAutoscaler, a PodDisruptionBudget, a ConfigMap for the environment"))
	if len(p.Trained) > 0 {
		sb.WriteString(r.Replace(", and a Job that runs `SLUG train`"))
	}
	sb.WriteString(".")
	if len(p.Trained) > 0 {
		sb.WriteString(" The ConfigMap's `MODEL_URL` is a placeholder `s3://CHANGE-ME/...`: set it to your bucket, and build the image with " +
			"that store's driver, `make image TAGS=s3` for `s3://` (`gcs` for `gs://`, `azblob` for `azblob://`); an image built without it " +
			"fails at start with a message naming the tag.")
	}
	sb.WriteString(" The tests in `cmd/server` decode every manifest strictly into the k8s.io/api types and check the probes and ports against the server.\n\n" +
		"CI: `.github/workflows/ci.yml` vets, tests, builds and inspects the image")
	if len(p.Trained) > 0 {
		sb.WriteString(", and builds and vets with every storage driver (`-tags \"s3 gcs azblob\"`) so they keep compiling")
	}
	sb.WriteString("; `.github/dependabot.yml` keeps modules and actions current.\n\n")
	return sb.String()
}

// flagRE matches a flag registration of a library's Config.RegisterFlags:
// fs.StringVar(&c.DBPath, "db-path", c.DBPath, "db path (env CHURN_DB_PATH)").
var flagRE = regexp.MustCompile(`fs\.\w+Var\(&c\.(\w+), "([^"]+)", c\.\w+, "([^"]*?) ?\(env (\w+)\)"\)`)

// defaultRE matches a default in DefaultConfig: DBPath: "churn.db",
var defaultRE = regexp.MustCompile(`(?m)^\s*(\w+):\s*(.+),$`)

// libraryFlags returns the flags a library's config.go registers: name, usage, environment
// variable and default.
func libraryFlags(src []byte) [][4]string {
	defaults := map[string]string{}
	for _, m := range defaultRE.FindAllStringSubmatch(string(src), -1) {
		defaults[m[1]] = strings.ReplaceAll(m[2], "|", "\\|")
	}
	var out [][4]string
	for _, m := range flagRE.FindAllStringSubmatch(string(src), -1) {
		def := defaults[m[1]]
		if def == "" {
			def = "none"
		}
		out = append(out, [4]string{m[2], m[3], m[4], def})
	}
	return out
}
