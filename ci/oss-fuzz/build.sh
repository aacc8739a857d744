#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script: builds the libFuzzer harnesses with the
# compilers, flags and fuzzing engine the infrastructure gives, and puts into $OUT:
#   ringside_fuzz_program, ringside_fuzz_parser          the harnesses
#   <harness>_seed_corpus.zip                            seeds (corpus/, scenarios/)
#   <harness>.dict, <harness>.options                    dictionary and libFuzzer options
# Honours CC, CXX, CFLAGS, CXXFLAGS, LIB_FUZZING_ENGINE, OUT (and WORK, SANITIZER). Run by
# hand, e.g.:
#   CC=clang-14 CXX=clang++-14 CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only \
#     -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link" \
#   CXXFLAGS="$CFLAGS" LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out ci/oss-fuzz/build.sh
# In an OSS-Fuzz Dockerfile: apt-get install the Debian packages of ci/setup, clone this
# repository into $SRC/ringside, and make ci/oss-fuzz/build.sh the project's build.sh.
# Dependencies (liburing, fmt, Boost) are linked from static archives: the runner image
# that executes the harnesses has none of them installed.
src=$(cd "$(dirname "$0")/../.." && pwd)
: "${CC:?set CC}" "${CXX:?set CXX}" "${OUT:?set OUT}" "${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE}"
CFLAGS=${CFLAGS:-} CXXFLAGS=${CXXFLAGS:-}
work=${WORK:-$(mktemp -d)}
build=$work/ringside-build
targets="ringside_fuzz_program ringside_fuzz_parser"
mkdir -p "$OUT"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# No CMAKE_BUILD_TYPE: the infrastructure's CFLAGS decide optimisation and debug info.
cmake -S "$src" -B "$build" "${generator[@]}" \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" -DCMAKE_BUILD_TYPE= \
  -DRINGSIDE_FUZZ=ON -DRINGSIDE_TESTS=OFF -DRINGSIDE_WERROR=OFF -DRINGSIDE_STATIC_DEPS=ON \
  -DRINGSIDE_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
# shellcheck disable=SC2086
cmake --build "$build" -j "$(nproc)" --target $targets ringside

# The harnesses, wherever fuzz/CMakeLists.txt put them.
for t in $targets; do
  f=$(find "$build" -type f -name "$t" -perm -u+x | head -1)
  [ -n "$f" ] || { echo "build.sh: harness $t was not built" >&2; exit 1; }
  cp "$f" "$OUT/$t"
done

# Seeds. The program harness: corpus/ (generated from scenarios/ by the tool itself);
# if this checkout has none, the built ringside makes it now when it can. The parser
# harness: the scenario texts.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
program_seeds=""
for d in "$src/corpus/ringside_fuzz_program" "$src/corpus/program" "$src/corpus"; do
  if [ -d "$d" ] && [ -n "$(find "$d" -maxdepth 1 -type f ! -name '*.dict' ! -name '*.md' -print -quit)" ]; then program_seeds=$d; break; fi
done
if [ -z "$program_seeds" ] && "$build/src/cli/ringside" corpus --help >/dev/null 2>&1; then
  "$build/src/cli/ringside" corpus --out "$tmp/program" >/dev/null && program_seeds=$tmp/program
fi
if [ -n "$program_seeds" ]; then
  (cd "$program_seeds" && find . -maxdepth 1 -type f ! -name '*.dict' ! -name '*.md' -print0 | xargs -0 zip -q -j "$OUT/ringside_fuzz_program_seed_corpus.zip")
else
  echo "build.sh: no seed corpus for ringside_fuzz_program (no corpus/ and no 'ringside corpus')" >&2
fi
# Scenario names repeat across families (race/timeout_remove, uring_order/timeout_remove):
# the zip holds them flat as FAMILY_NAME.scn.
mkdir -p "$tmp/parser"
for f in "$src"/scenarios/*/*.scn; do
  cp "$f" "$tmp/parser/$(basename "$(dirname "$f")")_$(basename "$f")"
done
(cd "$tmp/parser" && zip -q -j "$OUT/ringside_fuzz_parser_seed_corpus.zip" ./*.scn)

# Dictionaries: the harness's own (fuzz/<harness>.dict), else the corpus's, else none.
for t in $targets; do
  for d in "$src/fuzz/$t.dict" "$src/corpus/$t.dict" "$src/fuzz/ringside.dict" "$src/corpus/ringside.dict"; do
    if [ -f "$d" ]; then cp "$d" "$OUT/$t.dict"; break; fi
  done
done

# libFuzzer options: inputs are step sequences or scenario texts (a few KiB at most); a
# scenario's own deadlines are seconds, so an input that runs 25 s is a hang.
for t in $targets; do
  {
    echo "[libfuzzer]"
    echo "max_len = 4096"
    echo "timeout = 25"
    [ -f "$OUT/$t.dict" ] && echo "dict = $t.dict"
  } >"$OUT/$t.options"
done
echo "build.sh: built $targets into $OUT"
