package extract

import (
	"context"
	"strings"
	"testing"
)

// The messages are those real notebooks of the development corpus failed with (hosts, paths
// and hashes as they were), and the code failures they must not be confused with.
func TestClassifyRunFailure(t *testing.T) {
	own := []string{"/tmp/decant-extract-123", "/tmp"}
	for _, tc := range []struct {
		name, msg   string
		need, cause string
	}{
		{"cifar: DNS", `panic: failed downloading "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz": Get "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz": dial tcp: lookup www.cs.toronto.edu on 127.0.0.53:53: no such host`,
			NeedNetwork, "dial tcp: lookup www.cs.toronto.edu on 127.0.0.53:53: no such host"},
		{"mnist: DNS, no resolver named", `panic: failed downloading "https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz": Get "https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz": dial tcp: lookup storage.googleapis.com: no such host`,
			NeedNetwork, "dial tcp: lookup storage.googleapis.com: no such host"},
		{"FlowMatching: fatal log, after what the step printed", "Downloading Oxford Flowers 102...\nFatal error: Get \"https://www.robots.ox.ac.uk/~vgg/data/flowers/102/102flowers.tgz\": dial tcp: lookup www.robots.ox.ac.uk: no such host",
			NeedNetwork, "dial tcp: lookup www.robots.ox.ac.uk: no such host"},
		{"FlowMatching v0.28.1: fatal log, then its stack trace and what the library printed last", "Fatal error: Get \"https://www.robots.ox.ac.uk/~vgg/data/flowers/102/102flowers.tgz\": dial tcp: lookup www.robots.ox.ac.uk on 10.255.255.53:53: no such host\n" +
			"github.com/gomlx/gomlx/examples/FlowMatching.TrainModel\n/root/go/pkg/mod/github.com/gomlx/gomlx/examples@v0.28.1/FlowMatching/train.go:76\n" +
			"example.com/flowmatching/flowmatching.model2\n/tmp/decant-extract-2616800633/flowmatching/pipeline.go:24\n" +
			"Failed to download and untar \"102flowers.tgz\" from \"https://www.robots.ox.ac.uk/~vgg/data/flowers/102/102flowers.tgz\"\n" +
			"github.com/gomlx/gomlx/examples/oxfordflowers102.DownloadAndParse\n\t/root/go/pkg/mod/github.com/gomlx/gomlx/examples@v0.28.1/oxfordflowers102/download.go:56\n" +
			"File with cache: \"/root/work/oxfordflowers102/train_cached_images_64x64.bin\"",
			NeedNetwork, "dial tcp: lookup www.robots.ox.ac.uk on 10.255.255.53:53: no such host"},
		{"resolver misbehaving", `panic: Get "https://download.microsoft.com/download/3/E/1/3E1C3F21/kagglecatsanddogs_5340.zip": dial tcp: lookup download.microsoft.com on 10.0.0.2:53: server misbehaving`,
			NeedNetwork, "dial tcp: lookup download.microsoft.com on 10.0.0.2:53: server misbehaving"},
		{"connection refused", `panic: failed downloading "http://127.0.0.1:1/data.csv": Get "http://127.0.0.1:1/data.csv": dial tcp 127.0.0.1:1: connect: connection refused`,
			NeedNetwork, "dial tcp 127.0.0.1:1: connect: connection refused"},
		{"unreachable", `panic: Get "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz": dial tcp 171.64.68.10:443: connect: network is unreachable`,
			NeedNetwork, "dial tcp 171.64.68.10:443: connect: network is unreachable"},
		{"timeout", `panic: Get "https://archive.ics.uci.edu/ml/adult.data": dial tcp 128.195.10.252:443: i/o timeout`,
			NeedNetwork, "dial tcp 128.195.10.252:443: i/o timeout"},
		{"TLS handshake", `panic: Get "https://huggingface.co/api/models/x": net/http: TLS handshake timeout`,
			NeedNetwork, "net/http: TLS handshake timeout"},
		{"go-xla: plugin", `panic: plugin name "cpu" not found in paths [/root/.local/lib/go-xla /usr/local/lib/go-xla]: set PJRT_PLUGIN_LIBRARY_PATH to an specific path(s) to search`,
			NeedPlugin, `plugin name "cpu" not found in paths [/root/.local/lib/go-xla /usr/local/lib/go-xla]`},
		{"shared object", `panic: loading PJRT: libpjrt_c_api_cpu_plugin.so: cannot open shared object file: No such file or directory`,
			NeedPlugin, "libpjrt_c_api_cpu_plugin.so: cannot open shared object file: No such file or directory"},
		{"program", `panic: exec: "ffmpeg": executable file not found in $PATH`,
			NeedProgram, `exec: "ffmpeg": executable file not found in $PATH`},
		{"the author's data", `panic: open /home/janpf/data/adult.csv: no such file or directory`,
			NeedFile, "open /home/janpf/data/adult.csv: no such file or directory"},

		// The code's own failures, and failures the machine may have led to that no longer
		// say so: refused as before.
		{"empty file's hash", `panic: file "cifar-10-binary.tar.gz" sha256 hash is "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", but expected "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"`, "", ""},
		{"EOF", "Fatal error: EOF", "", ""},
		{"makeslice", "panic: runtime error: makeslice: len out of range", "", ""},
		{"index", "panic: runtime error: index out of range [3] with length 3", "", ""},
		{"nil map", "panic: assignment to entry in nil map", "", ""},
		{"HTTP status", `panic: failed downloading "https://example.com/x.zip": bad status 404 Not Found`, "", ""},
		{"a file the service writes", `panic: open /tmp/decant-extract-123/svc/model.bin: no such file or directory`, "", ""},
		{"a temporary file", `panic: open /tmp/gonb_tmp/out.json: no such file or directory`, "", ""},
		{"a relative file", `panic: open data/adult.csv: no such file or directory`, "", ""},
		{"permission", `panic: open /etc/shadow: permission denied`, "", ""},
		{"network words before the code's panic", "retrying: dial tcp: lookup example.com: no such host\npanic: runtime error: index out of range [0] with length 0", "", ""},
		{"log.Fatal(err) after what the step logged", "2026/11/30 07:00:00 downloading adult.data\n2026/11/30 07:00:01 Get \"https://archive.ics.uci.edu/adult.data\": dial tcp: lookup archive.ics.uci.edu: no such host",
			NeedNetwork, "dial tcp: lookup archive.ics.uci.edu: no such host"},
		{"a retry logged before a fatal log that says nothing of the network", "2026/11/30 07:00:00 retrying: dial tcp: lookup example.com: no such host\nmodel diverged: loss is NaN", "", ""},
		{"network words printed before a fatal log", "dial tcp: lookup example.com: no such host\nFatal error: model diverged", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			need, cause, ok := ClassifyRunFailure(tc.msg, own)
			if ok != (tc.need != "") || need != tc.need || cause != tc.cause {
				t.Errorf("ClassifyRunFailure(%q) = %q, %q, %v; want %q, %q", tc.msg, need, cause, ok, tc.need, tc.cause)
			}
		})
	}
}

func TestRunNeeds(t *testing.T) {
	network := Problem{Step: "test", File: "cifar/preparation.go", Line: 32, Cell: 2, CellLine: 15, Replaying: "loadData",
		Msg: `panic: failed downloading "https://x.org/d.tgz": Get "https://x.org/d.tgz": dial tcp: lookup x.org: no such host`}
	needs, ok := RunNeeds([]Problem{network}, nil)
	if !ok || len(needs) != 1 {
		t.Fatalf("RunNeeds = %v, %v; want one need", needs, ok)
	}
	want := "step loadData, at cell 2, line 15, needs the network: dial tcp: lookup x.org: no such host"
	if got := needs[0].String(); got != want {
		t.Errorf("need = %q, want %q", got, want)
	}
	for _, probs := range [][]Problem{
		nil,
		{network, {Step: "test", Cell: 3, Msg: "panic: runtime error: index out of range [1] with length 1"}},
		{network, {Step: "vet", Cell: 3, Msg: "fmt.Printf format %d has arg x of wrong type string"}},
	} {
		if needs, ok := RunNeeds(probs, nil); ok {
			t.Errorf("RunNeeds(%v) = %v, true; want false", probs, needs)
		}
	}
}

// The full replay of cifar (GoMLX v0.26.0) failed with the empty file's hash, at the line of
// the download that had failed for want of the network in the reproducibility test just
// before: a consequence. A failure at a step before the one that needs the network is not.
func TestConsequentRunNeeds(t *testing.T) {
	p := &Plan{Steps: []*Step{{Name: "load", Kept: true}, {Name: "download", Kept: true}, {Name: "train", Kept: true}}}
	earlier := []Problem{{Step: "test", File: "cifar/preparation.go", Line: 32, Cell: 4, CellLine: 15, Replaying: "download",
		Msg: `panic: failed downloading "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz": Get "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz": dial tcp: lookup www.cs.toronto.edu: no such host`}}
	hash := `panic: file "/root/work/cifar/cifar-10-binary.tar.gz" sha256 hash is "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", but expected "c4a38c50"`
	for _, tc := range []struct {
		name string
		prob Problem
		ok   bool
	}{
		{"same line", Problem{Step: "test", File: "cifar/preparation.go", Line: 32, Cell: 4, CellLine: 15, Msg: hash}, true},
		{"same step", Problem{Step: "test", File: "cifar/pipeline.go", Line: 40, Cell: 6, CellLine: 2, Replaying: "download", Msg: "Fatal error: EOF"}, true},
		{"a later step", Problem{Step: "test", File: "cifar/prediction.go", Line: 9, Cell: 9, CellLine: 3, Replaying: "train", Msg: "panic: runtime error: makeslice: len out of range"}, true},
		{"an earlier step, reading the file the download was to write", Problem{Step: "test", File: "cifar/pipeline.go", Line: 22, Cell: 2, CellLine: 15, Replaying: "load", Msg: hash}, true},
		{"an earlier step", Problem{Step: "test", File: "cifar/preparation.go", Line: 12, Cell: 2, CellLine: 3, Replaying: "load", Msg: "panic: runtime error: index out of range [1] with length 1"}, false},
		{"elsewhere, no step", Problem{Step: "test", File: "cifar/preparation.go", Line: 12, Cell: 2, CellLine: 3, Msg: `panic: file "/root/work/cifar/labels.txt" sha256 hash is "9f86d081", but expected "c4a38c50"`}, false},
		{"the URL again, not a file", Problem{Step: "test", File: "cifar/preparation.go", Line: 12, Cell: 2, CellLine: 3, Msg: `panic: bad status 404 for "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"`}, false},
		{"a vet error", Problem{Step: "vet", File: "cifar/preparation.go", Line: 32, Cell: 4, CellLine: 15, Msg: "unusedresult"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			needs, ok := p.ConsequentRunNeeds(context.Background(), []Problem{tc.prob}, earlier, nil)
			if ok != tc.ok {
				t.Fatalf("ConsequentRunNeeds = %+v, %v; want %v", needs, ok, tc.ok)
			}
			if !ok {
				return
			}
			n := needs[0]
			if n.Need != NeedNetwork || n.Cell != 4 || n.Line != 15 || n.Step != "download" || !strings.Contains(n.Then, firstLine(tc.prob.Msg)) {
				t.Errorf("need = %+v; want the network at cell 4, line 15, then %q", n, tc.prob.Msg)
			}
		})
	}
	if _, ok := p.ConsequentRunNeeds(context.Background(), []Problem{{Step: "test", Cell: 2, Msg: hash}}, nil, nil); ok {
		t.Error("a hash mismatch with no earlier need counted as environmental")
	}
}

func TestExplainEmptyFiles(t *testing.T) {
	probs := []Problem{{Step: "test", Msg: `panic: file "/root/work/cifar/cifar-10-binary.tar.gz" sha256 hash is "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", but expected "c4a38c50"`},
		{Step: "test", Msg: "panic: runtime error: index out of range [1] with length 1"}}
	ExplainEmptyFiles(probs)
	ExplainEmptyFiles(probs) // once only
	if strings.Count(probs[0].Msg, "is that of an empty file") != 1 || !strings.Contains(probs[0].Msg, "delete the file") {
		t.Errorf("not explained once: %s", probs[0].Msg)
	}
	if strings.Contains(probs[1].Msg, "empty file") {
		t.Errorf("explained a failure that names no empty file: %s", probs[1].Msg)
	}
}
