# roomwatch build. `make help` lists the targets.
GO       ?= go
BIN      ?= bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS  := -s -w -X github.com/roomwatch/roomwatch/internal/buildinfo.Version=$(VERSION) \
            -X github.com/roomwatch/roomwatch/internal/buildinfo.Revision=$(REVISION)
# Programs: each is ./<dir>/cmd/<name>.
PROGRAMS := $(notdir $(wildcard agent/cmd/roomwatch-agent collector/cmd/roomwatch-collector))
PLATFORMS := linux/amd64 linux/arm64 windows/amd64
TEST_TIMEOUT ?= 30m

.PHONY: help build build-all test test-peers test-short bench fuzz vet check-rules run clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build bin/roomwatch-agent and bin/roomwatch-collector for this machine
	@mkdir -p $(BIN)
	@for p in $(PROGRAMS); do dir=$$(dirname $$(ls -d */cmd/$$p)); \
	  echo "go build $$p"; CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/$$p ./$$dir/$$p || exit 1; done

build-all: ## cross-build every program for linux/amd64, linux/arm64 and windows/amd64 into bin/<os>-<arch>/
	@for plat in $(PLATFORMS); do os=$${plat%/*}; arch=$${plat#*/}; ext=; [ $$os = windows ] && ext=.exe; \
	  for p in $(PROGRAMS); do dir=$$(dirname $$(ls -d */cmd/$$p)); echo "go build $$os/$$arch $$p"; \
	    CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
	      -o $(BIN)/$$os-$$arch/$$p$$ext ./$$dir/$$p || exit 1; done; done

test-peers: ## install the real servers the tests start (Debian packages; needs root)
	@deploy/dev/install-test-peers.sh

test: test-peers vet ## install the test peers, run the vet checks, then run every test
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

test-short: ## unit tests only, no real peers
	$(GO) test -short -count=1 ./...

bench: test-peers build ## side-by-side benchmarks against the anchors; figures go in docs/benchmarks.md
	@deploy/dev/bench.sh

fuzz: ## run every fuzz target for FUZZTIME (default 20s) each
	@deploy/dev/fuzz.sh $(or $(FUZZTIME),20s)

vet: ## go vet, gofmt and staticcheck (a go.mod tool: go tool staticcheck)
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) tool staticcheck ./...

run: build ## run the main program on its embedded defaults (data under ./data)
	@deploy/dev/run.sh

clean: ## remove build output
	rm -rf $(BIN)
