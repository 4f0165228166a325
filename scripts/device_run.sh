#!/usr/bin/env bash
# One run on a lent many-core server (the device machine: 16-core Emerald Rapids with AMX, 15
# minutes a session, TVM installed there beforehand: it has no package registry), most important first, each
# step under its own time limit so that a slow one cannot eat the rest:
#   1. the CPU, and the AMX and bf16 tests with the AMX path on;
#   2. the benchmark at 4096 tokens on 1 thread and all cores, AMX path on (bf16 rows against the
#      AMX bf16 FFN; the tables name oneDNN's implementation);
#   3. the thread-scaling sweep (1 2 4 8 ... cores) with its plot;
#   4. a short tune of the inference and bf16 kernels under this CPU's own key, copied out.
# Results go under $OUT (the device tool's output folder; results/device here).
# Usage on the device, from the project root, with TVM importable: bash scripts/device_run.sh
set -uo pipefail
OUT=${OUT:-results/device}
mkdir -p "$OUT"
CORES=$(nproc)
THREADS="1"; for t in 2 4 8 16 32 64 128; do [ "$t" -le "$CORES" ] && THREADS="$THREADS $t"; done
export LOOKUP_TVM_AMX=1

step() {  # step NAME SECONDS COMMAND...: run, log to $OUT/NAME.txt, say how it ended
  local name=$1 limit=$2; shift 2
  local start=$SECONDS
  timeout "$limit" "$@" > "$OUT/$name.txt" 2>&1
  echo "$name: exit $? after $((SECONDS - start)) s" | tee -a "$OUT/steps.txt"
}

lscpu > "$OUT/lscpu.txt"
python3 -c "from lookup_tvm.cpu.resolve import host_target; print(host_target().key)" > "$OUT/target_key.txt"
step tests 150 python3 -m pytest -q -p no:cacheprovider tests/test_amx.py tests/test_bf16.py
step bench 240 python3 scripts/bench.py --tokens 4096 --threads 1 "$CORES" --rounds 5 \
    --json "$OUT/bench.json" --markdown
step scaling 180 python3 scripts/bench.py --scaling --threads $THREADS --rounds 5 \
    --plot "$OUT/scaling.png" --json "$OUT/scaling.json" --markdown
step tune 200 python3 scripts/tune.py --target host --trials 8 --no-report \
    --ops front_end,gather,bh4_stage,bh4_stage_grad
KEY=$(cat "$OUT/target_key.txt")
[ -d "tuning_logs/$KEY" ] && tar -czf "$OUT/tuning_log.tar.gz" "tuning_logs/$KEY" "schedules/$KEY"
cat "$OUT/steps.txt"
