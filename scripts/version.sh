#!/bin/sh
# The version of this tree, from `git describe`, in Debian's spelling (a native package's version):
#   on a tag v1.2.0                    1.2.0
#   5 commits after it                 1.2.0+5.gabc1234
#   before any tag                     0.1.0~git412.gabc1234   (sorts before 0.1.0, and grows with every commit)
#   changes not committed              ….dirty
# ROOMREC_VERSION, when set, is taken as it is (the package test builds an older package that way).
#
#   scripts/version.sh           prints it
#   scripts/version.sh --stamp   also writes it into Sources/CBuildVersion/version.generated.h when it changed
#                                (and touches BuildVersion.c, so the build compiles it again)
set -eu
cd "$(dirname "$0")/.."

version() {
    if [ -n "${ROOMREC_VERSION:-}" ]; then echo "$ROOMREC_VERSION"; return; fi
    git rev-parse --git-dir >/dev/null 2>&1 || { echo "0.1.0~unknown"; return; }
    dirty=""
    git diff --quiet HEAD -- 2>/dev/null || dirty=".dirty"
    if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
        echo "version.sh: a shallow clone: the commit count, and so the version, is wrong (git fetch --unshallow)" >&2
    fi
    if described=$(git describe --tags --match 'v[0-9]*' --long 2>/dev/null); then
        # v1.2.0-5-gabc1234
        tag=${described%-*-g*}
        rest=${described#"$tag"-}
        count=${rest%%-*}
        hash=${rest#*-}
        # v1.2.0-rc1: a native package's version has no "-", and a release candidate sorts before its release.
        tag=$(echo "$tag" | tr - '~')
        if [ "$count" = 0 ] && [ -z "$dirty" ]; then echo "${tag#v}"; else echo "${tag#v}+$count.$hash$dirty"; fi
    else
        echo "0.1.0~git$(git rev-list --count HEAD).g$(git rev-parse --short=7 HEAD)$dirty"
    fi
}

current=$(version)
case "$current" in
    [0-9]*) ;;
    *) echo "version.sh: \"$current\" is no version (it must start with a digit)" >&2; exit 1 ;;
esac
if [ "${1:-}" = --stamp ]; then
    header=Sources/CBuildVersion/version.generated.h
    line="#define ROOMREC_VERSION \"$current\""
    if [ ! -f "$header" ] || [ "$(cat "$header")" != "$line" ]; then
        echo "$line" > "$header"
        touch Sources/CBuildVersion/BuildVersion.c
    fi
fi
echo "$current"
