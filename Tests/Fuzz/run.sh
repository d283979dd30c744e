#!/usr/bin/env bash
# Fuzzes the project's parsers with libFuzzer (+ AddressSanitizer). Outside CI this is the campaign tool;
# CI runs `--smoke` for a few seconds per target and `--replay` on every committed regression input.
#
#   Tests/Fuzz/run.sh --list                      the targets
#   Tests/Fuzz/run.sh TARGET [--time S | --runs N] [--jobs J]
#   Tests/Fuzz/run.sh --smoke S                   every target for S seconds
#   Tests/Fuzz/run.sh --replay                    every input under Regressions/ through its target, once
#
# Findings (crash-*, timeout-*, oom-*, leak-*) land in $CLAIRE_FUZZ_WORK/TARGET/ (default /tmp/claire-fuzz).
# Fix the bug, then commit the input under Regressions/TARGET/ so that --replay keeps checking it.
# A hang is an input that takes over 1 s; running out of memory is going past 2 GB. Leak detection is off:
# Foundation's Data(contentsOf:) leaks one page on an empty file, which would stop every target at once.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
shared="${CLAIRE_SHARED:-$root/../shared}"
work="${CLAIRE_FUZZ_WORK:-/tmp/claire-fuzz}"
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

targets=(gguf safetensors safetensors-index config gptq-config tokenizer-json encode pipeline-yaml
         transcript-auto transcript-vtt transcript-srt transcript-text transcript-trs transcript-tei
         transcript-whisper transcript-textgrid transcript-eaf transcript-chat transcript-orfeo)

# Seed folders per target: the committed seeds, then real files from the repository and ../shared.
seeds() {
  local t="$1" s="$here/Seeds"
  case "$t" in
    gguf|safetensors|safetensors-index|config|gptq-config|tokenizer-json|encode|pipeline-yaml) echo "$s/$t" ;;
    transcript-vtt) echo "$root/Samples/transcripts/webvtt $shared/samples/webvtt" ;;
    transcript-srt) echo "$root/Samples/transcripts/srt $shared/samples/srt" ;;
    transcript-text) echo "$root/Samples/transcripts/text $shared/samples/plaintext" ;;
    transcript-trs) echo "$root/Samples/transcripts/transcriber-trs $shared/samples/transcriber-trs" ;;
    transcript-tei) echo "$shared/samples/tei-speech $shared/samples/tei-drama" ;;
    transcript-whisper) echo "$shared/samples/whisper-json" ;;
    transcript-textgrid) echo "$shared/samples/praat-textgrid" ;;
    transcript-eaf) echo "$shared/samples/elan-eaf" ;;
    transcript-chat) echo "$shared/samples/chat-cha" ;;
    transcript-orfeo) echo "$shared/samples/orfeo-conll" ;;
    transcript-auto) echo "$root/Samples/transcripts/webvtt $root/Samples/transcripts/srt $root/Samples/transcripts/text $root/Samples/transcripts/transcriber-trs $shared/samples/rttm $shared/samples/kaldi/small" ;;
  esac
}

build() {
  echo "building the fuzz targets (release, -sanitize=fuzzer,address)…" >&2
  swift build -c release --package-path "$here" -Xswiftc -sanitize=fuzzer,address >&2
  binary="$(swift build -c release --package-path "$here" -Xswiftc -sanitize=fuzzer,address --show-bin-path)/ClaireFuzz"
}

# Runs one target; extra arguments go to libFuzzer.
fuzz() {
  local t="$1"; shift
  local dir="$work/$t"
  mkdir -p "$dir/corpus"
  local seed_dirs=()
  for d in $(seeds "$t"); do [ -d "$d" ] && seed_dirs+=("$d"); done
  CLAIRE_FUZZ_TARGET="$t" "$binary" -timeout=1 -rss_limit_mb=2048 -malloc_limit_mb=2048 -detect_leaks=0 -max_len=262144 \
    -artifact_prefix="$dir/" -print_final_stats=1 "$@" "$dir/corpus" "${seed_dirs[@]}"
}

case "${1:-}" in
  --list) printf '%s\n' "${targets[@]}" ;;
  --smoke)
    seconds="${2:?--smoke SECONDS}"; build
    for t in "${targets[@]}"; do
      echo "== $t ($seconds s)"
      mkdir -p "$work/$t"
      status=0
      fuzz "$t" -max_total_time="$seconds" >"$work/$t/smoke.log" 2>&1 || status=$?
      grep -E "^(stat::number_of_executed_units|stat::new_units_added|==[0-9]+==ERROR|SUMMARY)" "$work/$t/smoke.log" || true
      [ "$status" -eq 0 ] || { tail -40 "$work/$t/smoke.log" >&2; echo "fuzz target $t failed (exit $status): see $work/$t" >&2; exit 1; }
    done ;;
  --replay)
    build; count=0
    for t in "${targets[@]}"; do
      [ -d "$here/Regressions/$t" ] || continue
      for f in "$here/Regressions/$t"/*; do
        CLAIRE_FUZZ_TARGET="$t" "$binary" -timeout=1 -rss_limit_mb=2048 -malloc_limit_mb=2048 -detect_leaks=0 "$f" >/dev/null 2>"$work-replay.log" \
          || { cat "$work-replay.log" >&2; echo "regression input $f crashes $t again" >&2; exit 1; }
        count=$((count + 1))
      done
    done
    echo "replayed $count regression inputs" ;;
  ""|-h|--help) sed -n '2,12p' "$0" ;;
  *)
    t="$1"; shift
    printf '%s\n' "${targets[@]}" | grep -qx "$t" || { echo "unknown target $t (see --list)" >&2; exit 2; }
    extra=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --time) extra+=(-max_total_time="$2"); shift 2 ;;
        --runs) extra+=(-runs="$2"); shift 2 ;;
        --jobs) extra+=(-jobs="$2" -workers="$2"); shift 2 ;;
        *) extra+=("$1"); shift ;;
      esac
    done
    build; fuzz "$t" "${extra[@]}" ;;
esac
