# Sluice: `make run` starts the whole service locally; `make test` runs every test.
GO        ?= go
BIN       := bin/sluice
MODULES   := sdk terraform e2e e2e/chaos/history
# Packages whose tests also run under the race detector, in -short mode
# (the full-volume load tests run once, without it).
RACE_PKGS := ./internal/kv/... ./data-plane/... ./tenants/... ./control-plane/...
BENCHTIME ?= 1s
FUZZTIME  ?= 60s
# Go's bin dir, where `go install` (and so test-deps) puts versitygw and
# terraform, goes first on PATH, so the tests find them there.
GOBIN_DIR := $(shell $(GO) env GOBIN)
ifeq ($(GOBIN_DIR),)
GOBIN_DIR := $(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin
endif
export PATH := $(GOBIN_DIR):$(PATH)

.PHONY: run build test test-deps test-root test-modules test-deploy test-pkg bench loadtest e2e soak fuzz fuzz-long lint tools clean

run: build
	./$(BIN) dev

build:
	$(GO) build -o $(BIN) ./cmd/sluice

test: test-root test-modules test-deploy

# test-deps installs what the tests need and Go modules do not bring, each
# only when missing: versitygw, terraform, the AWS CLI, boto3, Node.js and
# e2e/js's node_modules (.ci/deps says how). A test whose dependency is
# still missing fails, or skips with SLUICE_TEST_SKIP_MISSING=1.
test-deps:
	@GO=$(GO) .ci/deps

test-root test-modules test-pkg e2e soak: test-deps

# test-pkg runs one package's tests with the same setup, e.g.
# `make test-pkg PKG=./internal/blob/s3/` (a package of the root module).
PKG ?= ./...
test-pkg:
	$(GO) test -count=1 $(PKG)

test-root:
	$(GO) test -count=1 -timeout 20m ./...
	# cmd/sluice's tests of `serve` on client-go's mock store (--pd mock://)
	$(GO) test -count=1 -tags sluice_mocktikv -timeout 5m ./cmd/sluice/
	$(GO) test -count=1 -race -short -tags sluice_invariants -timeout 20m $(RACE_PKGS)

# TF_ACC=1 runs the Terraform provider's acceptance tests (the real
# terraform binary against a real `sluice dev`, a few minutes).
test-modules:
	@set -e; for m in $(MODULES); do echo "== $$m"; (cd $$m && TF_ACC=1 $(GO) test -count=1 -timeout 20m ./...); done

# deploy/check renders the Helm chart and parses the Compose file and
# Dockerfile offline (no cluster, no Docker). It is a module of its own
# outside go.work, so Helm and k8s.io stay out of the server's dependency
# graph: GOWORK=off. It builds cmd/sluice (in the workspace) to read flags.
test-deploy:
	cd deploy/check && GOWORK=off $(GO) test -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./internal/kv/ ./data-plane/engine/ ./data-plane/sqsapi/ ./data-plane/sigv4/

# loadtest runs e2e/bench's workloads against a fresh `sluice dev`, each
# reported as a ratio of the null-server bound measured in the same run.
loadtest: build
	e2e/bench/against-dev.sh $(CURDIR)/$(BIN)

# soak runs e2e/chaos's TestSoak for SOAK (30 minutes): the chaos
# scenarios' mixed load against one `sluice dev`, failing if its memory,
# goroutines or backlog grow, its p99 latency rises for good, or the
# history checker finds anything lost or delivered twice. `make test` runs
# it for 3 minutes.
SOAK ?= 30m
soak:
	cd e2e && SLUICE_SOAK=$(SOAK) $(GO) test -count=1 -v -run '^TestSoak$$' -timeout 2h ./chaos

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzJSONRequest$$' -fuzztime $(FUZZTIME) ./data-plane/sqsapi/
	$(GO) test -run '^$$' -fuzz '^FuzzQueryRequest$$' -fuzztime $(FUZZTIME) ./data-plane/sqsapi/
	$(GO) test -run '^$$' -fuzz '^FuzzQueryDecodeCost$$' -fuzztime $(FUZZTIME) ./data-plane/sqsapi/
	$(GO) test -run '^$$' -fuzz '^FuzzUnquoteAsSent$$' -fuzztime $(FUZZTIME) ./data-plane/sqsapi/
	$(GO) test -run '^$$' -fuzz '^FuzzFastJSONAsEncodingJSON$$' -fuzztime $(FUZZTIME) ./data-plane/sqsapi/
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./data-plane/sigv4/

# fuzz-long runs every fuzz target for FUZZLONG each (10 minutes: about
# two and a half hours in all). A crash is written by go test to the package's
# testdata/fuzz/<target>/ directory, where it stays as a seed: commit it
# with the fix.
FUZZLONG ?= 10m
FUZZ_TARGETS := \
	./data-plane/sqsapi/:FuzzJSONRequest \
	./data-plane/sqsapi/:FuzzQueryRequest \
	./data-plane/sqsapi/:FuzzQueryDecodeCost \
	./data-plane/sqsapi/:FuzzUnquoteAsSent \
	./data-plane/sqsapi/:FuzzJSONBatchSize \
	./data-plane/sqsapi/:FuzzFastJSONAsEncodingJSON \
	./data-plane/sqsapi/:FuzzEscapeAsEncodingXML \
	./data-plane/sigv4/:FuzzVerify \
	./data-plane/msgattr/:FuzzValidate \
	./data-plane/engine/:FuzzDecodeRecord \
	./data-plane/engine/:FuzzOpenHandle \
	./data-plane/tiering/segment/:FuzzDecodeFrame \
	./data-plane/tiering/segment/:FuzzReadIndex \
	./data-plane/topics/filter/:FuzzBindingKeyMatch

fuzz-long:
	@set -e; for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg, $(FUZZLONG))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZLONG) $$pkg; done

e2e:
	cd e2e && $(GO) test -count=1 -v ./...

lint:
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt needed on the files above" && exit 1)
	$(GO) vet ./...
	$(GO) vet -tags sluice_mocktikv ./cmd/sluice/
	$(GO) vet -tags sluice_invariants ./data-plane/engine/
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) vet ./...); done
	cd deploy/check && GOWORK=off $(GO) vet ./...
	staticcheck ./...
	staticcheck -tags sluice_mocktikv ./cmd/sluice/
	staticcheck -tags sluice_invariants ./data-plane/engine/
	@set -e; for m in $(MODULES); do (cd $$m && staticcheck ./...); done
	cd deploy/check && GOWORK=off staticcheck ./...

# tools installs what the tests and lint need but Go modules do not bring.
tools: test-deps
	command -v staticcheck >/dev/null || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest

clean:
	rm -rf bin .sluice
