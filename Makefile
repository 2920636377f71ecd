# zkgo build, test and tooling entry points. See README.md.
GO        ?= go
JAVA_CACHE ?= $(CURDIR)/.cache/java
export ZKGO_JAVA_CACHE := $(JAVA_CACHE)

.PHONY: run build test test-go java generate check-generated goldens fuzz bench vet

build:
	$(GO) build -o bin/zkgo ./cmd/zkgo

run: build
	./bin/zkgo server

# Everything a fresh machine needs, then every test.
test: java check-generated
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 40m ./...
	$(MAKE) fuzz

# Java ZooKeeper 3.4.13 / 3.8.0 / 3.9.3 from Debian's packages into $(JAVA_CACHE).
java:
	bash scripts/fetch-java.sh

generate:
	$(GO) run ./jute/gen -schema jute/schema/zookeeper.jute.txt -out jute/records/records_gen.go

check-generated:
	$(GO) run ./jute/gen -schema jute/schema/zookeeper.jute.txt -out jute/records/records_gen.go -check

# Regenerate the golden byte files with the Java program against each version's jars.
goldens: java
	bash scripts/goldens.sh

FUZZTIME ?= 5s
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

# Side-by-side load benchmarks: zkgo vs Java ZooKeeper 3.9.3 (standalone and 3-node, on
# loopback, fsync on; writes also standalone with forceSync=no), the zk-latencies workload,
# start-up, RSS with 1M znodes, leader re-election, and snapshot write and load of 100k and 1M
# znodes by each server's own code. Writes bench/RESULTS.md, bench/results.json and
# bench/charts/*.png; about 15 minutes. Codec micro-benchmarks:
# go test -run NONE -bench . -benchmem ./jute/...
BENCH_FLAGS ?= -targets zkgo,java,zkgo3,java3,zkgo-nosync,java-nosync -workloads read,write,mixed,read/d8,write/d8 -rounds 2 -duration 7s \
	-warmup 3s -target-warmup 6s -equal-load 0.7 -equal-load-workloads mixed,write -latencies -startups 5 \
	-memory-znodes 1000000 -reelection -snapshot-znodes 100000,1000000
bench: build java
	./bin/zkgo bench $(BENCH_FLAGS) -json bench/results.json -report bench/RESULTS.md
	$(GO) run ./bench/chartgen -json bench/results.json -out bench/charts

# Docker images for the interop tests, built from local files (no registry): zkgo:local
# (scratch + static binary) and zkgo-java:{3.4.13,3.8.0,3.9.3} (debootstrap'ed Debian).
# Up-to-date images (content-hash label) are left alone. See docker/build.sh.
.PHONY: images
images:
	bash docker/build.sh

# Long seeded fault campaigns in Docker (all-Java, all-zkgo and mixed ensembles, rolling
# replacement); writes interop/REPORT.md. About 4 minutes per scenario; SEEDS=1,2 FAULTS=10
# runs 18 scenarios.
SEEDS  ?= 1,2
FAULTS ?= 10
.PHONY: interop-long
interop-long: images
	$(GO) test -tags interoplong -run TestCampaign -count=1 -timeout 6h -v ./interop/ \
		-args -seeds=$(SEEDS) -faults=$(FAULTS) -report=$(CURDIR)/interop/REPORT.md
