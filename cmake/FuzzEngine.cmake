# How libFuzzer harnesses link their fuzzing engine. Locally (preset `clang`) that is
# -fsanitize=fuzzer; OSS-Fuzz and ClusterFuzzLite pass their own in $LIB_FUZZING_ENGINE
# (a flag or a library path), which ci/oss-fuzz/build.sh hands over as RINGSIDE_FUZZ_ENGINE.
# fuzz/CMakeLists.txt calls ringside_fuzz_engine(<target>) for each harness.
set(RINGSIDE_FUZZ_ENGINE "-fsanitize=fuzzer" CACHE STRING "how harnesses link the fuzzing engine (OSS-Fuzz: $LIB_FUZZING_ENGINE)")
function(ringside_fuzz_engine target)
  separate_arguments(engine UNIX_COMMAND "${RINGSIDE_FUZZ_ENGINE}")
  # Instrument the harness for the engine without linking its main twice.
  target_compile_options(${target} PRIVATE $<$<CXX_COMPILER_ID:Clang>:-fsanitize=fuzzer-no-link>)
  target_link_libraries(${target} PRIVATE ${engine})
endfunction()
