# The sanitizer and fuzzing suites of `make test`, each in a build tree of its own (included by
# the top-level Makefile, which provides JOBS and the bootstrap target):
#
#   make checks-build   configure + build both trees (incremental, ccache'd)
#   make checks-test    run both suites: every one runs even if another fails; non-zero if any did
#   make asan-test      only the unit tests under ASan + UBSan: build-asan/, GCC, CMake presets
#                       "asan" (configure: -fsanitize=address,undefined, no LibTorch; build: the
#                       target unit_tests only; test: label "unit", PostgreSQL fixture included)
#   make fuzz-test      only the libFuzzer targets: build-fuzz/, clang, fuzz/CMakeLists.txt; each
#                       target replays its corpus and then fuzzes for FUZZ_SECONDS
#
# A longer fuzzing run, and what the runs found, is in docs/fuzzing.md.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 15

.PHONY: checks-build checks-test asan-build asan-test fuzz-build fuzz-test

checks-build: asan-build fuzz-build

asan-build: bootstrap
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)

fuzz-build: bootstrap
	@cmake -S fuzz -B $(FUZZ_BUILD) -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
	  -DMLHUB_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

# The ctest runs alone (the trees are built): what `make test` calls after building.
ASAN_CTEST = ctest --preset asan -j $(JOBS)
FUZZ_CTEST = ctest --test-dir $(FUZZ_BUILD) --output-on-failure -j $(JOBS)

checks-test: checks-build
	@failed=""; \
	echo "== unit tests under ASan + UBSan (build-asan)"; \
	$(ASAN_CTEST) || failed="$$failed asan-test"; \
	echo "== fuzz targets, $(FUZZ_SECONDS) s each ($(FUZZ_BUILD))"; \
	$(FUZZ_CTEST) || failed="$$failed fuzz-test"; \
	if [ -n "$$failed" ]; then echo "checks: FAILED:$$failed"; exit 1; fi

asan-test: asan-build
	$(ASAN_CTEST)

fuzz-test: fuzz-build
	$(FUZZ_CTEST)
