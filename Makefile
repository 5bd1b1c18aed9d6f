# Thin wrapper over scripts/ and CMake presets. The two quick-start commands:
#   make demo   install dependencies, build, run the STUN server+client demo on 127.0.0.1
#   make test   install dependencies, build, run the whole test suite (unit, sim, package, fuzz and bench smoke)
# Everything else: make help.
SHELL := /bin/bash
JOBS ?= 2
FUZZ_SECONDS ?= 20

.PHONY: all deps demo demo-stun test test-debug test-asan test-tsan test-tsan-threaded fuzz-smoke fuzz bench bench-smoke bench-anchor format clean help

all: test

help:
	@echo "make demo          two PeerConnections on loopback: data channel setup, RTT, throughput"
	@echo "make demo-stun     STUN server + client on loopback"
	@echo "make test          the whole suite: ASan+UBSan unit/sim/package tests, fuzz smoke, bench smoke"
	@echo "make test-debug    unit/sim/package tests in a plain debug build"
	@echo "make test-tsan     tests under ThreadSanitizer"
	@echo "make fuzz          run every fuzzer for FUZZ_SECONDS (default 20; e.g. FUZZ_SECONDS=600)"
	@echo "make bench         full Google Benchmark run (release)"
	@echo "make bench-anchor  tern vs pion/stun in the same run (bench/anchors/pion_stun.sh)"

deps:
	bash scripts/deps.sh

# Two PeerConnections on 127.0.0.1 open a data channel: setup time, RTT and throughput.
demo: deps
	cmake --preset release >/dev/null
	cmake --build build/release --target tern-datachannel-cli -j$(JOBS)
	./build/release/examples/datachannel-cli/tern-datachannel-cli --auto

# The STUN server + client demo (the first quick start).
demo-stun: deps
	cmake --preset release >/dev/null
	cmake --build build/release --target tern-stun-demo -j$(JOBS)
	./build/release/examples/stun/tern-stun-demo

# The whole suite. ctest runs last so its summary closes the output.
test: deps fuzz-smoke bench-smoke test-tsan-threaded test-asan

test-asan:
	cmake --preset asan >/dev/null
	cmake --build build/asan -j$(JOBS)
	ctest --preset asan -j$(JOBS)

test-debug: deps
	cmake --preset debug >/dev/null
	cmake --build build/debug -j$(JOBS)
	ctest --preset debug -j$(JOBS)

# The threaded code (lib/net's loops and cross-thread Post, usrsctp from several threads, the
# PeerConnection's any-thread API) under ThreadSanitizer: every test labelled "threaded".
test-tsan-threaded:
	cmake --preset tsan >/dev/null
	cmake --build build/tsan --target tern_threaded_tests -j$(JOBS)
	ctest --preset tsan -L threaded

test-tsan: deps
	cmake --preset tsan >/dev/null
	cmake --build build/tsan -j$(JOBS)
	ctest --preset tsan -j$(JOBS)

fuzz-smoke:
	bash scripts/fuzz-smoke.sh $(FUZZ_SECONDS)

fuzz: deps
	bash scripts/fuzz-smoke.sh $(FUZZ_SECONDS)

bench-smoke:
	cmake --preset release >/dev/null
	cmake --build build/release --target tern_benches -j$(JOBS)
	bash scripts/bench-smoke.sh build/release

bench: deps
	cmake --preset release >/dev/null
	cmake --build build/release -j$(JOBS)
	for b in build/release/bench/*_bench; do $$b --benchmark_repetitions=5 --benchmark_report_aggregates_only=true; done

bench-anchor: deps
	bash bench/anchors/pion_stun.sh

format:
	find include lib examples tests bench fuzz -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf build
