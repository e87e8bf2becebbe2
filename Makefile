# SPDX-License-Identifier: MIT
# Thin wrapper around CMake: `make test` and `make demo` do all set-up on a
# fresh Debian machine (packages via scripts/deps.sh, configure, build, run).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# Models, photos and labels (scripts/get-assets.sh); VKATTN_ASSETS wins when set.
ASSETS ?= $(or $(VKATTN_ASSETS),../shared/assets)
DEMO_IMAGES = $(ASSETS)/images/coco_000000039769.png $(ASSETS)/images/ort_kitten_224.png $(ASSETS)/images/ort_fish.png

.PHONY: all deps build test asan tsan fuzz-build fuzz-smoke fuzz demo bench clean

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The whole suite in an AddressSanitizer + UndefinedBehaviorSanitizer build
# (build-asan/): any report, leak or undefined behaviour fails the test.
ASAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$(CURDIR)/tests/ubsan.supp
asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVKA_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build build-asan -j$(JOBS)
	cd build-asan && $(ASAN_ENV) ctest --output-on-failure -j$(JOBS) $(CTEST_ARGS)

# ThreadSanitizer, by hand (too slow for CI): contexts on several threads
# (test_threads) and a queue shared with an application thread (test_async).
tsan: deps
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS=-fsanitize=thread \
		-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread $(CMAKE_FLAGS)
	cmake --build build-tsan -j$(JOBS) --target test_threads test_async
	TSAN_OPTIONS=halt_on_error=1:suppressions=$(CURDIR)/tests/tsan.supp build-tsan/tests/test_threads
	TSAN_OPTIONS=halt_on_error=1:suppressions=$(CURDIR)/tests/tsan.supp build-tsan/tests/test_async

# libFuzzer targets (tests/fuzz/README.md): the ONNX importer + graph build (raw
# and structure-aware), safetensors, image decoding and the CLI's .npy reader,
# built with clang-14 -fsanitize=fuzzer,address,undefined in build-fuzz/.
# fuzz-smoke (CI, after make test): each target a fixed input sequence, at most
# FUZZ_SMOKE_SECONDS; fuzz: each
# FUZZ_SECONDS, one after another. Any crash, leak, UB or timeout fails; the
# input is left in build-fuzz/crashes/.
FUZZ_TARGETS ?= fuzz_onnx fuzz_onnx_struct fuzz_safetensors fuzz_image fuzz_npy
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_SECONDS ?= 600
FUZZ_CC ?= clang-14
# Debian's python3 (python3-onnx, -numpy, -pil) writes the seeds
FUZZ_PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
fuzz-build:
	@sh scripts/deps.sh fuzz
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVKA_FUZZ=ON -DCMAKE_C_COMPILER=$(FUZZ_CC) $(CMAKE_FLAGS)
	cmake --build build-fuzz -j$(JOBS) --target fuzz_all
	$(FUZZ_PYTHON) tests/fuzz/make_seeds.py build-fuzz/seeds

# The smoke run is replayable (FUZZ_SMOKE=1, see tests/fuzz/run.sh): a fixed,
# seeded sequence of inputs from a fresh corpus, FUZZ_SMOKE_SECONDS a cap, so
# CI runs what passed here (or a prefix of it) and cannot fail at random.
fuzz-smoke: fuzz-build
	FUZZ_SMOKE=1 sh tests/fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

fuzz: fuzz-build
	nice -n 10 sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# DeiT-Tiny on three photos: top-5 classes, and out/heat_<photo>.png with the
# CLS attention of each head of the last layer and their mean. DEIMv2 atto on
# bus.jpg: its detections, and out/detect_bus.png with the boxes drawn over
# where the decoder looked. Then the live viewer on bus.jpg for 30 frames
# (out/view_bus.png); without a display it runs in Xvfb (xvfb-run).
VIEW_X = $(if $(DISPLAY),,xvfb-run -a -s "-screen 0 1280x1024x24")
demo: build
	@mkdir -p out
	VKATTN_ASSETS=$(ASSETS) ./$(BUILD)/apps/vkattn classify $(ASSETS)/models/deit_tiny_patch16_224.onnx \
		$(DEMO_IMAGES) --heatmap out/heat.png
	VKATTN_ASSETS=$(ASSETS) ./$(BUILD)/apps/vkattn detect $(ASSETS)/models/deimv2_hgnetv2_atto_coco.onnx \
		$(ASSETS)/images/bus.jpg --heatmap --out out/detect_bus.png
	VKATTN_ASSETS=$(ASSETS) $(VIEW_X) ./$(BUILD)/apps/vkattn view $(ASSETS)/models/deimv2_hgnetv2_atto_coco.onnx \
		--source $(ASSETS)/images/bus.jpg --heatmap --frames 30 --script 10:tab --screenshot out/view_bus.png
	./$(BUILD)/apps/vkattn devices

bench: build
	./$(BUILD)/apps/vkattn bench gemm
	./$(BUILD)/apps/vkattn bench attention

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
