#!/bin/bash
# Runs ci/oss-fuzz/build.sh as OSS-Fuzz would (its environment variables set by hand) in a
# scratch copy of this tree. Slow (a clang + ASan build): not part of ctest.
#   usage: tests/oss_fuzz_build.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
tar --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$scratch"
export CC=clang-14 CXX=clang++-14
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer" SANITIZER=address OUT=$out WORK=$scratch/work
mkdir -p "$WORK"
"$scratch/ci/oss-fuzz/build.sh"
ls -la "$out"
# What OSS-Fuzz's runner does first: run each harness briefly on its seeds.
for t in ringside_fuzz_program ringside_fuzz_parser; do
  seeds=$(mktemp -d -p "$scratch")
  [ -f "$out/${t}_seed_corpus.zip" ] && unzip -q "$out/${t}_seed_corpus.zip" -d "$seeds"
  dict=(); [ -f "$out/$t.dict" ] && dict=(-dict="$out/$t.dict")
  "$out/$t" "${dict[@]}" -runs=2000 -max_len=4096 "$seeds" 2>&1 | tail -3
done
if ldd "$out/ringside_fuzz_program" | grep -Eq 'liburing|libfmt|libboost'; then
  echo "oss_fuzz_build: the harness needs a library the runner image lacks" >&2; exit 1
fi
echo "oss_fuzz_build: OK, outputs in $out"
