# mlhub: `make run` starts the server on the embedded defaults; `make test` builds and runs every suite.
BUILD ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
HOST ?= 127.0.0.1
PORT ?= 5000
include deploy/Makefile.mk
include make/checks.mk

.PHONY: all bootstrap configure build run test bench demo clean

all: build

bootstrap:
	@scripts/bootstrap.sh

configure: bootstrap
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/src/mlhub server --host $(HOST) --port $(PORT)

# Every suite: the unit tests again under ASan + UBSan and the fuzz targets (make/checks.mk), then
# the main ctest run last, so its summary line ends the output; any failure fails `make test`.
test: build checks-build
	@status=0; \
	$(MAKE) --no-print-directory checks-test || status=1; \
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) || status=1; \
	exit $$status

# The whole pipeline on the embedded defaults: track, register, serve by alias, move the alias.
demo: build
	/usr/bin/python3 scripts/demo.py $(BUILD)/src/mlhub

bench: build
	bench/run.sh $(BUILD)/src/mlhub

clean:
	rm -rf $(BUILD)
