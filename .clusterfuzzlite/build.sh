#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz entry point: the real script is ci/oss-fuzz/build.sh.
exec "$SRC/ringside/ci/oss-fuzz/build.sh"
