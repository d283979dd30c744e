#!/usr/bin/env bash
# Files per hour with 1, 2 and 3 daemons sharing one PostgreSQL queue, on the bundled model, over N generated
# transcripts (default 30). Not part of the test suite: a measurement to run by hand on an otherwise idle
# machine. Needs a running PostgreSQL: pass its URL (a database the script may create others beside), or let
# Tests/run.sh start the test server around it:
#   Tests/Scale/files-per-hour.sh postgres://postgres@127.0.0.1:5432/claire_test [FILES] [THREADS_PER_DAEMON]
#   Tests/run.sh bash -c 'Tests/Scale/files-per-hour.sh "$CLAIRE_TEST_POSTGRES_URL"'
set -euo pipefail
cd "$(dirname "$0")/../.."
url="${1:?postgres URL}"
files="${2:-30}"
threads="${3:-1}"
binary=".build/release/claire-pipeline"
[ -x "$binary" ] || swift build -c release -Xswiftc -enable-testing --product claire-pipeline
work="$(mktemp -d /tmp/claire-scale.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
for f in $(seq -w 0 $((files - 1))); do
  for t in $(seq 0 39); do echo "SPEAKER_0$((t % 2)): Réunion $f, point $t : on reprend le budget, le planning et la salle du jeudi."; done >"$work/in/meeting-$f.txt"
done
cat >"$work/pipeline.yaml" <<YAML
name: scale
seed: 3
input: { paths: [$work/in] }
normalize: { speakers: intervenant, casing: keep }
chunk: { window: 256, reserve: 40, overlap_turns: 1 }
model: { path: $PWD/Samples/models/claire-tiny-fr.Q8_0.gguf, threads: $threads }
steps:
  - id: next
    kind: complete-turn
    template: "{{window}}\n{{next_speaker}}"
    generation: { max_new_tokens: 32, temperature: 1.0, top_k: 10 }
output: { dir: $work/unused, format: jsonl }
YAML
host="$(python3 -c 'import sys, urllib.parse as u; p = u.urlparse(sys.argv[1]); print(p.hostname, p.port or 5432, p.username or "postgres")' "$url")"
read -r pghost pgport pguser <<<"$host"
for n in 1 2 3; do
  db="scale_${n}_$$"
  createdb -h "$pghost" -p "$pgport" -U "$pguser" "$db"
  state="postgres://$pguser@$pghost:$pgport/$db"
  start=$(date +%s.%N)
  pids=()
  for _ in $(seq 1 "$n"); do
    "$binary" daemon "$work/pipeline.yaml" --output "$work/out-$n" --state "$state" --settle 0 --once 2>>"$work/log-$n" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  end=$(date +%s.%N)
  done_count=$(psql "$state" -XAtc "SELECT count(*) FROM claire_work WHERE status = 'done'")
  python3 -c "import sys; n, d, s = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]); print(f'{n} daemon(s): {d} files in {s:.1f} s = {d / s * 3600:.0f} files/hour')" "$n" "$done_count" "$(echo "$end - $start" | bc)"
  dropdb -h "$pghost" -p "$pgport" -U "$pguser" "$db"
done
