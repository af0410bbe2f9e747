# Huifang: the two commands a newcomer needs are `make run` and `make test`.
# Both start Postgres and Redis when they do not answer on localhost (see .ci/services.sh).

GO            ?= go
BIN           := bin/huifang
DEMO_DEALER   ?= DEMO
DEMO_PASSWORD ?= huifang-demo
DEMO_CUSTOMERS ?= 2000

export DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/huifang?sslmode=disable
export REDIS_URL    ?= redis://127.0.0.1:6379/0
export HUIFANG_HTTP_ADDR ?= 127.0.0.1:8080

.PHONY: all build run run-sms security test test-go test-e2e services tools bench faults test-cluster fmt vet sqlc clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/huifang

services:
	@bash .ci/services.sh

tools:
	@bash .ci/test-tools.sh

## run: the product with the demo dealer, on http://$(HUIFANG_HTTP_ADDR)
run: services build
	./$(BIN) migrate
	./$(BIN) demo --dealer $(DEMO_DEALER) --customers $(DEMO_CUSTOMERS) --password $(DEMO_PASSWORD) --if-empty
	@echo
	@echo "Huifang: http://$(HUIFANG_HTTP_ADDR)/login  (dealer $(DEMO_DEALER))"
	@echo "logins: agent1..agent5 (agents), director1 (director), admin (admin); password: $(DEMO_PASSWORD)"
	@echo "softphones: sip:agent1@127.0.0.1:5060 (realm huifang) with the SIP secret printed above (first run only);"
	@echo "  a new one: ./$(BIN) user sip-secret --dealer $(DEMO_DEALER) --username agent1"
	@echo
	./$(BIN) serve

## run-sms: make run with a local Kannel and its fake SMS centre (var/kannel/fakesmsc.log)
run-sms: services build
	bash .ci/kannel-demo.sh start
	HUIFANG_KANNEL_SENDSMS_URL=http://127.0.0.1:13013/cgi-bin/sendsms HUIFANG_KANNEL_USER=huifang \
	HUIFANG_KANNEL_PASSWORD=huifang-sms HUIFANG_KANNEL_FROM=106900001 \
	HUIFANG_SMS_TOKEN_FILE=$(CURDIR)/var/kannel/token $(MAKE) run

## security: the slow web attacks by hand (sqlmap on the login, director and API forms, the id sweep); see SECURITY.md
security: services
	bash .ci/security.sh

## test: every test, against real Postgres, Redis, SIP peers and Chromium
test: services tools vet test-go test-e2e

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test-go:
	$(GO) test -count=1 -timeout 30m ./...

test-e2e: build
	bash agent-ui/e2e/run.sh
	E2E_TEST=webphone.test.mjs bash agent-ui/e2e/run.sh
	E2E_TEST=desk.test.mjs bash agent-ui/e2e/run.sh
	bash agent-ui/e2e/director_run.sh

## bench: the slow benchmarks whose figures are in README.md (run by hand, not in CI)
bench: services
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./...

## faults: the fault-injection suite (issue 18; run by hand, several minutes): private Postgres,
## Redis and Kannel, serve, a worker process and Redis killed mid-campaign, a worker killed mid-build,
## Postgres restarted, a login burst, SIP junk; prints the README's table.
## Its quick parts (queue and telephony/sms tests) run in make test.
faults: tools
	$(GO) test -tags faults -count=1 -v -timeout 60m -run TestFaults ./cmd/huifang/faults

## test-cluster: the whole-system test of issue 16 (about two minutes; CI runs it after make test):
## two serve processes built from this tree, agents on both, one SIGKILLed mid-calls, the other
## stopped with SIGTERM while a fresh one takes over (cmd/huifang/clustertest); agents' SIP phones
## register to a real Kamailio in front of the three processes' gateways when it is installed.
test-cluster: services tools
	$(GO) test -tags cluster -count=1 -v -timeout 10m ./cmd/huifang/clustertest

fmt:
	gofmt -w $$(git ls-files '*.go')

## sqlc: regenerate store's typed queries (installs sqlc v1.31.1, the version the code was generated with)
SQLC := $(shell command -v sqlc 2>/dev/null || echo $$(go env GOPATH)/bin/sqlc)
sqlc:
	@test -x "$(SQLC)" || $(GO) install github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1
	$(SQLC) generate

clean:
	rm -rf bin
