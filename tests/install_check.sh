#!/bin/sh
# ctest install_layout: `cmake --install` of this build into a scratch prefix holds the
# binary, the man page ringside(1) (well-formed for groff, with the sections users look
# for) and a bash completion that completes commands, options and values.
#   usage: tests/install_check.sh BUILD_DIR
set -eu
build=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cmake --install "$build" --prefix "$dir/usr" >/dev/null
fail() { echo "install_layout: FAIL: $*" >&2; exit 1; }
[ -x "$dir/usr/bin/ringside" ] || fail "no usr/bin/ringside"
"$dir/usr/bin/ringside" --version | grep -q '^ringside [0-9]' || fail "ringside --version"
man="$dir/usr/share/man/man1/ringside.1.gz"
[ -f "$man" ] || fail "no usr/share/man/man1/ringside.1.gz"
for s in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" PROFILES FORMATS FILES; do
  zcat "$man" | grep -q "^\.SH \"*$s\"*\$" || fail "man page has no section $s"
done
for c in $("$dir/usr/bin/ringside" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1} /^$/{if(on) exit}'); do
  zcat "$man" | grep -q "^\.SS \"ringside $c" || fail "man page does not describe 'ringside $c'"
done
if command -v groff >/dev/null; then
  warnings=$(zcat "$man" | groff -man -Tutf8 -ww -z 2>&1)
  [ -z "$warnings" ] || fail "groff warns: $warnings"
fi
[ -f "$dir/usr/share/doc/ringside/scenario-language.md" ] || fail "no usr/share/doc/ringside/scenario-language.md"
comp="$dir/usr/share/bash-completion/completions/ringside"
[ -f "$comp" ] || fail "no usr/share/bash-completion/completions/ringside"
complete_words() {  # the completions bash offers for the words given (the last one being typed)
  PATH="$dir/usr/bin:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ringside; echo "${COMPREPLY[*]}"' \
    sh "$comp" "$@"
}
[ "$(complete_words ringside exp)" = explain ] || fail "'ringside exp<TAB>' does not complete to explain"
complete_words ringside run --pro | grep -qx -- --profile || fail "'ringside run --pro<TAB>'"
[ "$(complete_words ringside run --profile con)" = contract ] || fail "'ringside run --profile con<TAB>'"
[ "$(complete_words ringside explain epoll.et.ref)" = epoll.et.refire ] || fail "'ringside explain epoll.et.ref<TAB>'"
echo "install_layout: ok"
