# Thin driver over CMake + ctest. The executable is always build/siphon.
#   make / make build   configure and build (Debian packages installed if missing)
#   make run            build and start `siphon serve` with the embedded defaults
#   make test           build and run every test (ctest: unit, e2e, fuzz-smoke labels)
#   make test-unit / test-e2e   one label only
#   make sanitize       build in build-asan with ASan+UBSan and run the unit tests
#   make fuzz           build the libFuzzer targets (clang) and run each for FUZZ_SECONDS
#   make gen            regenerate the generated C tables from data/
#   make bench          build and run build/bench/bench_* (parser benchmark)
#   make bench-peers    siphon's parser against libosip2, sofia-sip and libre in one
#                       table (../shared/bench-peers/run.sh; BENCH_ARGS="-t 5" etc.)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 60

.PHONY: all build deps run test test-unit test-e2e sanitize fuzz gen check-gen bench bench-peers clean

all: build

deps:
	@scripts/deps.sh test

$(BUILD)/CMakeCache.txt:
	@scripts/deps.sh test
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/siphon serve

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

test-e2e: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L e2e

sanitize:
	@scripts/deps.sh test
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSIPHON_SANITIZE=address,undefined $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

fuzz:
	@scripts/deps.sh test
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIPHON_FUZZ=ON \
	  -DSIPHON_SANITIZE=address,undefined $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_BUILD)

gen:
	@for g in scripts/gen_*.py; do [ -e "$$g" ] && python3 "$$g"; done; true

check-gen:
	@scripts/check_gen.sh

bench: build
	@for b in $(BUILD)/bench/bench_*; do [ -x "$$b" ] && "$$b"; done; true

PEERS ?= ../shared/bench-peers
SIPHON_VERSION := $(shell awk '/^project/ {print $$3; exit}' CMakeLists.txt)
BENCH_ARGS ?=

bench-peers: build
	@scripts/deps.sh bench-peers
	SIPHON_ADAPTER=$(CURDIR)/bench/peers_adapter.c \
	SIPHON_CFLAGS="-I$(CURDIR)/include -DSIPHON_VERSION='\"$(SIPHON_VERSION)\"'" \
	SIPHON_LIBS="$(abspath $(BUILD))/libsiphon_msg.a $(abspath $(BUILD))/libsiphon_base.a" \
	$(PEERS)/run.sh -r memchr,osip,sofia,libre-full,siphon $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
