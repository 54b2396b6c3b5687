package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The peer and the tree of BenchmarkDupesCommand.
const (
	duplModule   = "github.com/mibk/dupl@v1.0.0"
	xtoolsModule = "golang.org/x/tools@v0.52.0"
)

// BenchmarkDupesCommand measures `decant dupes DIR`, the command as users run it, against
// `dupl -t 50 DIR` on x/tools v0.52.0's source, side by side in one run. Both binaries are
// built first. Cold is the first run of each on a fresh copy of the tree with an empty
// GOCACHE (what a first run pays for anything built or loaded through the go command); warm
// is the best of three more runs. Ratios are decant/dupl: lower is better; the targets are
// at most 0.5 warm, 1.5 cold, and 0.5 of dupl's peak memory.
func BenchmarkDupesCommand(b *testing.B) {
	out, err := exec.Command("go", "mod", "download", "-json", xtoolsModule).Output()
	var mod struct{ Dir string }
	if err != nil || json.Unmarshal(out, &mod) != nil || mod.Dir == "" {
		b.Skipf("x/tools source not available: %v %s", err, out)
	}
	bin := b.TempDir()
	install := exec.Command("go", "install", duplModule)
	install.Env = append(os.Environ(), "GOBIN="+bin)
	if out, err := install.CombinedOutput(); err != nil {
		b.Skipf("cannot build dupl: %v\n%s", err, out)
	}
	decant := filepath.Join(bin, "decant")
	if out, err := exec.Command("go", "build", "-o", decant, ".").CombinedOutput(); err != nil {
		b.Fatalf("building decant: %v\n%s", err, out)
	}
	dupl := filepath.Join(bin, "dupl")
	for b.Loop() {
		tree := filepath.Join(b.TempDir(), "tools")
		copyTree(b, mod.Dir, tree)
		env := append(os.Environ(), "GOCACHE="+b.TempDir())
		dCold := measure(b, env, dupl, "-t", "50", tree)
		oCold := measure(b, env, decant, "dupes", tree)
		var dWarm, oWarm run
		for i := range 3 {
			d, o := measure(b, env, dupl, "-t", "50", tree), measure(b, env, decant, "dupes", tree)
			if i == 0 || d.wall < dWarm.wall {
				dWarm = d
			}
			if i == 0 || o.wall < oWarm.wall {
				oWarm = o
			}
		}
		peak := func(a, b run) int64 { return max(a.maxRSS, b.maxRSS) }
		b.ReportMetric(oWarm.wall.Seconds()/dWarm.wall.Seconds(), "warm-time-ratio")
		b.ReportMetric(oCold.wall.Seconds()/dCold.wall.Seconds(), "cold-time-ratio")
		b.ReportMetric(float64(peak(oCold, oWarm))/float64(peak(dCold, dWarm)), "mem-ratio")
		b.Logf("x/tools v0.52.0: dupl -t 50: cold %v, warm %v, peak %d MiB; decant dupes: cold %v, warm %v, peak %d MiB",
			dCold.wall.Round(time.Millisecond), dWarm.wall.Round(time.Millisecond), peak(dCold, dWarm)>>20,
			oCold.wall.Round(time.Millisecond), oWarm.wall.Round(time.Millisecond), peak(oCold, oWarm)>>20)
		b.Logf("ratios decant/dupl: warm time %.2f (target ≤ 0.5), cold time %.2f (≤ 1.5), peak memory %.2f (≤ 0.5)",
			oWarm.wall.Seconds()/dWarm.wall.Seconds(), oCold.wall.Seconds()/dCold.wall.Seconds(),
			float64(peak(oCold, oWarm))/float64(peak(dCold, dWarm)))
	}
}

type run struct {
	wall   time.Duration
	maxRSS int64
}

func measure(b *testing.B, env []string, name string, args ...string) run {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, stderr.String())
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return run{wall, ru.Maxrss * 1024}
}

// copyTree copies the regular files under src to dst (the module cache is read-only, and a
// fresh copy is what a first run sees).
func copyTree(b *testing.B, src, dst string) {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		b.Fatalf("copying %s: %v", src, err)
	}
}
