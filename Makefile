# Thin wrapper around CMake: `make test` and `make demo` do all set-up on a
# fresh Debian machine (packages via scripts/deps.sh, configure, build, run).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test demo bench clean

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

demo: build
	./$(BUILD)/apps/vkattn devices
	./$(BUILD)/apps/vkattn bench gemm --runs 5
	./$(BUILD)/apps/vkattn bench attention --quick --runs 5

bench: build
	./$(BUILD)/apps/vkattn bench gemm
	./$(BUILD)/apps/vkattn bench attention

clean:
	rm -rf $(BUILD)
