#!/usr/bin/env bash
# Static checks for the RoomRecorder systemd units and config snippets.
#
#   usage: Tests/units/verify-units.sh BIN_DIR [SRC_DIR]
#
#   BIN_DIR  directory containing an executable `roomrecd` (e.g. .build/release)
#   SRC_DIR  directory with roomrec.service, roomrec.socket, roomrec.sysusers,
#            roomrec.tmpfiles (default: <repo>/systemd); pass a modified copy to
#            test the checker itself.
#
# What it does (works in a container where systemd is not PID 1 and the
# roomrec user does not exist; nothing outside a temp dir is modified):
#   1. copies the units to a temp dir, points ExecStart= (and ExecReload=, if
#      its program is missing here) at BIN_DIR/roomrecd, and runs
#      `systemd-analyze verify` on them. Every warning/error line about our
#      units fails the check; lines about other units or about the environment
#      are filtered out and printed; any line that cannot be classified also
#      fails (better a false alarm than a silent pass).
#   2. runs systemd-sysusers and systemd-tmpfiles with --root=<temp dir>
#      (systemd 252 has no `systemd-tmpfiles --dry-run`, so the files are
#      really applied, but only inside the temp root).
#   3. runs `udevadm verify` on udev/70-roomrec.rules if this udevadm has it
#      (systemd >= 254; not available in Debian 12's systemd 252).
#
# Exit status: 0 clean, 1 problems found, 2 usage/environment error.

set -uo pipefail

usage() { echo "usage: $0 BIN_DIR [SRC_DIR]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin_dir=$(cd "$1" 2>/dev/null && pwd) || { echo "error: BIN_DIR '$1' is not a directory" >&2; exit 2; }
src_dir=${2:-$repo/systemd}
src_dir=$(cd "$src_dir" 2>/dev/null && pwd) || { echo "error: SRC_DIR '${2:-}' is not a directory" >&2; exit 2; }
udev_rules=$repo/udev/70-roomrec.rules

daemon=$bin_dir/roomrecd
[[ -f $daemon && -x $daemon ]] || { echo "error: $daemon is not an executable file" >&2; exit 2; }
command -v systemd-analyze >/dev/null || { echo "error: systemd-analyze not found" >&2; exit 2; }
for f in roomrec.service roomrec.socket; do
    [[ -f $src_dir/$f ]] || { echo "error: $src_dir/$f missing" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/roomrec-verify.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
export SYSTEMD_LOG_COLOR=0 SYSTEMD_LOG_LOCATION=0 SYSTEMD_LOG_TIME=0 SYSTEMD_PAGER=cat

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# --- 1. systemd-analyze verify ---------------------------------------------------
units=$tmp/units
mkdir -p "$units"
cp "$src_dir/roomrec.service" "$src_dir/roomrec.socket" "$units/"

# ExecStart=/usr/local/bin/roomrecd ... -> ExecStart=BIN_DIR/roomrecd ...
# (keeps any of the -@:+! prefixes and all arguments).
sed -i -E "s#^(ExecStart=[-@:+!]*)[^[:space:]]*/roomrecd([[:space:]]|\$)#\1${daemon}\2#" "$units/roomrec.service"
if ! grep -qE "^ExecStart=[-@:+!]*${daemon}([[:space:]]|\$)" "$units/roomrec.service"; then
    fail "could not rewrite ExecStart= of roomrec.service to $daemon (unexpected ExecStart= line?)"
fi
# ExecReload=/bin/kill -HUP $MAINPID: keep it if /bin/kill exists here (so it is
# checked too), otherwise substitute BIN_DIR/roomrecd so a minimal container
# without procps does not report a missing /bin/kill.
while IFS= read -r line; do
    prog=${line#ExecReload=}
    prog=${prog##[-@:+!]}; prog=${prog##[-@:+!]}; prog=${prog%%[[:space:]]*}
    if [[ ! -x $prog ]]; then
        echo "note: $prog not executable in this environment; using $daemon for ExecReload= instead"
        sed -i -E "s#^(ExecReload=[-@:+!]*)[^[:space:]]+#\1${daemon}#" "$units/roomrec.service"
    fi
done < <(grep -E '^ExecReload=' "$units/roomrec.service")

echo "== systemd-analyze verify roomrec.service roomrec.socket"
# Trailing ':' = search the temp dir first, then the default unit path (for
# network-online.target, sockets.target, ...). Default --recursive-errors mode,
# so a missing Requires=/Service= target is reported; messages about those
# other units are filtered out below.
verify() {
    SYSTEMD_UNIT_PATH="$units:" systemd-analyze verify --man=no --generators=no "$@" \
        "$units/roomrec.service" "$units/roomrec.socket"
}
out=$(verify 2>&1)
rc=$?

ours=() filtered=() unknown=()
ours_re='(^|[^-[:alnum:]_.])roomrec\.(service|socket)([^[:alnum:]_]|$)'
env_re='bus|D-Bus|/etc/systemd|/run/systemd|system\.conf|PID 1|container|chroot|cgroup|/sys/|/proc/|SELinux|AppArmor|audit|kernel|locale|Failed to (connect|determine|open|read|create|mount)'
unit_re='[-[:alnum:]@_.:\\]+\.(service|socket|target|mount|automount|swap|timer|path|slice|scope|device)([^[:alnum:]_]|$)'
while IFS= read -r line; do
    [[ -z $line ]] && continue
    if [[ $line == *"$units/"* || $line =~ $ours_re ]]; then
        ours+=("$line")
    elif [[ $line =~ $unit_re ]]; then
        filtered+=("[other unit]  $line")
    elif [[ $line =~ $env_re ]]; then
        filtered+=("[environment] $line")
    else
        unknown+=("$line")
    fi
done <<<"$out"

if ((${#filtered[@]})); then
    echo "-- ignored ${#filtered[@]} line(s) not about our units:"
    printf '   %s\n' "${filtered[@]}"
fi
for l in "${ours[@]}"; do fail "systemd-analyze: $l"; done
for l in "${unknown[@]}"; do fail "systemd-analyze (unclassified line, treated as error): $l"; done
if ((rc != 0)) && ((${#ours[@]} == 0 && ${#unknown[@]} == 0)) &&
        systemd-analyze --help 2>&1 | grep -q -- '--recursive-errors'; then
    # Non-zero status but no message about our units: see whether it comes
    # from a dependency (other unit) only.
    if verify --recursive-errors=no >/dev/null 2>&1; then
        echo "-- note: exit status $rc comes from other units only (clean with --recursive-errors=no); ignored"
        rc=0
    fi
fi
if ((rc != 0)); then
    fail "systemd-analyze verify exited with status $rc"
fi
((rc == 0 && ${#ours[@]} == 0 && ${#unknown[@]} == 0)) && echo "ok: units verify cleanly"

# --- 2. sysusers.d / tmpfiles.d ---------------------------------------------------
root=$tmp/root
mkdir -p "$root/etc" "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d"
# A minimal /etc with only root; sysusers creates everything else (video,
# audio, ... get dynamic ids here, on a real system they already exist).
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"

# Run a checker; fail on non-zero status or on any output except the
# informational lines matched by $3.
run_checker() {
    local name=$1 ok_re=$2 out rc line bad=0
    shift 2
    out=$("$@" 2>&1); rc=$?
    while IFS= read -r line; do
        [[ -z $line ]] && continue
        if [[ $line =~ $ok_re ]]; then
            echo "   $line"
        else
            fail "$name: $line"; bad=1
        fi
    done <<<"$out"
    ((rc != 0)) && { fail "$name exited with status $rc"; bad=1; }
    ((bad == 0)) && echo "ok: $name"
    return $bad
}

sysusers_ok=0
if [[ -f $src_dir/roomrec.sysusers ]]; then
    if command -v systemd-sysusers >/dev/null && systemd-sysusers --help 2>&1 | grep -q -- '--root'; then
        echo "== systemd-sysusers --root=<tmp> roomrec.conf"
        cp "$src_dir/roomrec.sysusers" "$root/usr/lib/sysusers.d/roomrec.conf"
        if run_checker systemd-sysusers '^Creating (user|group) ' \
                systemd-sysusers --root="$root" roomrec.conf; then
            sysusers_ok=1
            grep -q '^roomrec:' "$root/etc/passwd" || fail "sysusers: user roomrec was not created"
        fi
    else
        echo "skip: systemd-sysusers with --root not available"
    fi
fi

if [[ -f $src_dir/roomrec.tmpfiles ]]; then
    if ! command -v systemd-tmpfiles >/dev/null || ! systemd-tmpfiles --help 2>&1 | grep -q -- '--root'; then
        echo "skip: systemd-tmpfiles with --root not available"
    elif ((sysusers_ok == 0)); then
        echo "skip: systemd-tmpfiles (needs the users from roomrec.sysusers in the temp root)"
    elif ((EUID != 0)); then
        echo "skip: systemd-tmpfiles --create needs root to chown inside the temp root"
    else
        echo "== systemd-tmpfiles --root=<tmp> --create roomrec.conf"
        cp "$src_dir/roomrec.tmpfiles" "$root/usr/lib/tmpfiles.d/roomrec.conf"
        if run_checker systemd-tmpfiles '^$' systemd-tmpfiles --root="$root" --create roomrec.conf; then
            # Show what was created (numeric ids are those of the temp root).
            while read -r path; do
                [[ -n $path ]] || continue
                read -r mode uid gid < <(stat -c '%a %u %g' "$root$path" 2>/dev/null) || { fail "tmpfiles: $path was not created"; continue; }
                user=$(awk -F: -v id="$uid" '$3 == id {print $1; exit}' "$root/etc/passwd")
                group=$(awk -F: -v id="$gid" '$3 == id {print $1; exit}' "$root/etc/group")
                echo "   $mode ${user:-$uid}:${group:-$gid} $path"
            done < <(awk '$1 ~ /^[dD]/ {print $2}' "$root/usr/lib/tmpfiles.d/roomrec.conf")
        fi
    fi
fi

# --- 3. udev rules ---------------------------------------------------------------------
if [[ -f $udev_rules ]]; then
    if command -v udevadm >/dev/null && udevadm verify --help >/dev/null 2>&1; then
        echo "== udevadm verify 70-roomrec.rules"
        if out=$(udevadm verify "$udev_rules" 2>&1); then
            [[ -n $out ]] && printf '   %s\n' "$out"
            echo "ok: udevadm verify"
        else
            printf '   %s\n' "$out"
            fail "udevadm verify reported errors in $udev_rules"
        fi
    else
        echo "skip: 'udevadm verify' not available (systemd < 254); udev rules not checked"
    fi
fi

echo
if ((failures)); then
    echo "verify-units: $failures problem(s)"
    exit 1
fi
echo "verify-units: all checks passed"
exit 0
