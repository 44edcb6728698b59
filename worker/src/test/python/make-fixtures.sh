#!/usr/bin/env bash
# Regenerates the worker's fidelity fixtures (src/test/resources/fixtures):
#   1. the tiny model versions (random weights at a fixed seed, safetensors) by the project's own Java code;
#   2. reference logits and TorchScript exports by reference.py with Debian's python3-torch.
# Needs: the worker built (mvn -pl worker -am test-compile), and `apt-get install python3-torch`.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
worker="$here/../../.."
out="$worker/src/test/resources/fixtures"
rm -rf "$out" && mkdir -p "$out"
(cd "$worker" && mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath)
DJL_OFFLINE=true OPT_OUT_TRACKING=true java -cp "$worker/target/classes:$worker/target/test-classes:$(cat "$worker/target/test.classpath")" \
  io.lmaas.worker.fixtures.FixtureMaker "$out"
/usr/bin/python3 "$here/reference.py" "$out"
ls -la "$out"/*
