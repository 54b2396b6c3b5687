# Decant's Makefile. The README's quick start is `make demo` and `make test`.

GO      ?= go
BIN     := $(CURDIR)/bin
DEMO    := testdata/demo/churn.ipynb
DEMOOUT := $(CURDIR)/out/demo

.PHONY: all build test test-short vet fmt-check bench bench-api demo gonb clean depcheck fuzz

all: vet test build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# Tools pinned by go.mod's tool directives: GoNB (the kernel) and goimports (which GoNB needs).
gonb:
	GOBIN=$(BIN) $(GO) install tool

vet: fmt-check
	$(GO) vet ./...

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

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./notebooks
	$(GO) test -run '^$$' -fuzz FuzzSplit -fuzztime 30s ./notebooks/gonbcell
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./kernel/wire

# The main job on the bundled demo notebook: extract it into a fresh repository, run the emitted
# service's tests, start its server, call it with good and bad parameters, stop it.
demo: build
	BIN=$(BIN) OUT=$(DEMOOUT) NOTEBOOK=$(DEMO) ./scripts/demo.sh

clean:
	rm -rf $(BIN) out
