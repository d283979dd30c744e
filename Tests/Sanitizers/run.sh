#!/usr/bin/env bash
# The kernels' tests under AddressSanitizer and UndefinedBehaviorSanitizer, outside the normal build: the C
# kernels (Sources/CKernels) read rows block by block with masked loads and tails, where an off-by-one read
# past a row goes unnoticed in a normal build. Everything is built with AddressSanitizer (SwiftPM's
# --sanitize=address reaches the C targets too); the C code also with UndefinedBehaviorSanitizer (Swift on
# Linux has no -sanitize=undefined; the ASan runtime carries UBSan's handlers), and undefined behaviour stops
# the run instead of printing and going on. Separate scratch path (.build-asan, gitignored): the
# instrumented build never mixes with the normal one.
#
#   Tests/Sanitizers/run.sh [FILTER]      default FILTER: KernelsTests
set -euo pipefail
cd "$(dirname "$0")/../.."
filter="${1:-KernelsTests}"
scratch="${CLAIRE_SANITIZER_BUILD:-.build-asan}"
flags=(-c release -Xswiftc -enable-testing --scratch-path "$scratch"
       --sanitize=address
       -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined -Xcc -fno-omit-frame-pointer)
# Leaks are not what this looks for (the test runner and Foundation keep allocations until exit).
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# The sanitizer's report is the useful trace; Swift's own backtracer would only repeat it (and hold the runner).
export SWIFT_BACKTRACE="enable=no"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
swift build "${flags[@]}" --build-tests
swift test "${flags[@]}" --skip-build --filter "$filter"
