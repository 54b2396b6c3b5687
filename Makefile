# Decant's Makefile. The README's quick start is `make demo` and `make test`.

GO      ?= go
BIN     := $(CURDIR)/bin
DEMO    := testdata/demo/churn.ipynb
DEMOOUT := $(CURDIR)/out/demo

.PHONY: all build test test-short vet fmt-check depcheck tidy-check bench bench-output bench-doc bench-api bench-api-soak bench-run demo gonb clean fuzz sweep bench-dupes

all: vet test build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# Tools pinned by go.mod's tool directives: GoNB (the kernel) and goimports (which GoNB needs).
gonb:
	GOBIN=$(BIN) $(GO) install tool

vet: fmt-check depcheck tidy-check
	$(GO) vet ./...

# The layering: kernel/... imports nothing of the product, refactor links no go-git, leaves
# import nothing of ours, nothing imports cmd/... (rules in internal/depcheck).
depcheck:
	$(GO) run ./internal/depcheck

tidy-check:
	$(GO) mod tidy -diff

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v /testdata/)); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The whole suite: unit tests, golden tests, the CLI scripts, the emitted service's own checks,
# and the kernel against real GoNB (skipped with a message if GoNB cannot be built).
test: vet gonb
	PATH=$(BIN):$$PATH $(GO) test -count=1 -timeout 40m ./...

test-short:
	$(GO) test -short ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

# decant dupes (the command) against dupl -t 50 on x/tools v0.52.0, cold and warm, same run.
bench-dupes:
	$(GO) test -run '^$$' -bench BenchmarkDupesCommand -benchtime 1x -timeout 30m ./cmd/decant

# Every fuzzer in the repository (each func FuzzXxx), FUZZTIME each.
fuzz:
	GO=$(GO) FUZZTIME=$${FUZZTIME:-30s} ./scripts/fuzz.sh

# The demo's /v1/probabilities served three ways under the same load, side by side: the
# extracted server, a hand-written net/http server, Flask + gunicorn. Needs Debian's wrk,
# gunicorn and python3-flask.
bench-api: build
	BIN=$(BIN) OUT=$(CURDIR)/out/bench-api NOTEBOOK=$(DEMO) ./bench/api/run.sh

# 60 s at 5,000 requests/s, then a fuzzed stream of bad requests: no errors, no 5xx.
bench-api-soak: build
	BIN=$(BIN) OUT=$(CURDIR)/out/bench-api-soak NOTEBOOK=$(DEMO) ./bench/api/soak.sh

# decant run against jupyter nbconvert --execute with GoNB, side by side on the same notebooks.
# Needs Debian's jupyter-nbconvert, python3-nbclient and (optionally) hyperfine.
bench-run: build gonb
	PATH=$(BIN):$$PATH DECANT=$(BIN)/decant ./bench/run/run.sh

# decant run's output collection: one cell printing 200 MB against ten printing 20 MB, through a
# real client and a fake kernel over ZeroMQ; reports the time ratio (linear: about 1).
bench-output:
	$(GO) test -run '^$$' -bench StreamOutput -benchtime 1x -timeout 20m ./kernel

# decant doc against decant plan on the same generated 1,000- and 3,000-cell notebooks, side by
# side, as the commands run; reports doc/plan (target: at most 2 at 3,000 cells).
bench-doc:
	$(GO) test -run '^$$' -bench DocVsPlan -benchtime 3x ./cmd/internal/cli

# The hostile-input and fault sweep, end to end on a fresh temporary directory: prints each
# case and "N passed, M failed". Not part of make test (real processes, signals, minutes).
sweep:
	$(GO) run ./scripts/sweep

# The main job on the bundled demo notebook: extract it into a fresh repository, run the emitted
# service's tests, start its server, call it with good and bad parameters, stop it.
demo: build
	BIN=$(BIN) OUT=$(DEMOOUT) NOTEBOOK=$(DEMO) ./scripts/demo.sh

clean:
	rm -rf $(BIN) out

# The development corpus: real third-party notebooks pinned in testdata/corpus/manifest.json,
# fetched into the module cache with go mod download, each extracted with --auto-label and full
# verification, then built. Needs the Go module proxy; not part of make test.
# RUN=regexp limits it to some notebooks; JSON=file also writes the results as JSON.
.PHONY: corpus
corpus: build
	$(GO) run ./scripts/corpus -decant $(BIN)/decant $(if $(RUN),-run '$(RUN)') $(if $(JSON),-json '$(JSON)')

# decant extract --dry-run --no-verify (without and with the default refactorings) against
# jupyter nbconvert --to script on GoNB's tutorial, side by side. Needs Debian's hyperfine and
# jupyter-nbconvert.
.PHONY: bench-extract
bench-extract: build
	DECANT=$(BIN)/decant OUT=$(CURDIR)/out/bench-extract ./bench/extract/run.sh
