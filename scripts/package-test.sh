#!/usr/bin/env bash
# The Debian package on a room computer that has never seen Swift: a fresh Debian 12 root made by mmdebstrap from
# Debian's own packages, booted with systemd (systemd-nspawn), where
#   1. apt-get installs the previous build of the package, resolving every dependency from Debian;
#   2. roomrecd --version, --check-config and systemd-analyze verify pass on what was installed, the socket and the
#      service run, and a 5-second recording of the synthetic stage is delivered to the local library (ffprobe);
#   3. the new build is installed while a recording runs: the recording goes on, completes and is delivered as one
#      file, and then the new daemon runs;
#   4. remove, while recording, finalizes the recording and keeps /var/lib/roomrec and the configuration;
#   5. purge refuses to delete the recordings the media library does not have, names how to ask, and when asked
#      leaves no file of the package behind.
#   usage: scripts/package-test.sh PREVIOUS.deb NEW.deb
set -euo pipefail
previous=$(realpath "$1")
new=$(realpath "$2")
version_of() { dpkg-deb -f "$1" Version; }
work=$(mktemp -d /var/tmp/roomrec-package-test.XXXXXX)
root=$work/root
nspawn=""
leader=""
failures=0

say() { printf '\n== %s\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
fail() { printf '   FAILED: %s\n' "$*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
# A command inside the booted root, in all of its namespaces.
in_root() { nsenter --target "$leader" --mount --uts --ipc --net --pid --root --wd env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
wait_for() { # seconds, description, command...
    local seconds=$1 what=$2; shift 2
    for _ in $(seq $((seconds * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    fail "$what (not within ${seconds} s)"; return 1
}
cleanup() {
    if [ -n "$leader" ]; then in_root systemctl poweroff >/dev/null 2>&1 || true; fi
    if [ -n "$nspawn" ]; then
        for _ in $(seq 100); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$nspawn" 2>/dev/null || true
        wait "$nspawn" 2>/dev/null || true
    fi
    [ -n "${KEEP:-}" ] && { echo "kept $work"; return; }
    rm -rf "$work"
}
trap cleanup EXIT

say "A fresh Debian 12 root from Debian's packages (mmdebstrap), booted with systemd"
started=$SECONDS
mmdebstrap --quiet --variant=apt --include=systemd,systemd-sysv,dbus,ca-certificates bookworm "$root"
mkdir -p "$root/debs"
cp "$previous" "$new" "$root/debs/"
systemd-nspawn --quiet --register=no --keep-unit --directory="$root" --machine=roomrec-package-test --timezone=off --boot > "$work/console.log" 2>&1 &
nspawn=$!
# The root's init: the process under systemd-nspawn named systemd (nspawn's first child can be a helper that forks
# it and exits, so the first child found is not taken as it).
root_init() {
    local pid child
    for pid in $(ps -o pid= --ppid "$nspawn" 2>/dev/null); do
        for child in "$pid" $(ps -o pid= --ppid "$pid" 2>/dev/null); do
            [ "$(cat "/proc/$child/comm" 2>/dev/null)" = systemd ] && { echo "$child"; return 0; }
        done
    done
    return 1
}
for _ in $(seq 300); do leader=$(root_init || true); [ -n "$leader" ] && break; sleep 0.1; done
[ -n "$leader" ] || { cat "$work/console.log"; echo "the root did not boot"; exit 1; }
# Up: every start job done ("running", or "degraded" for a unit of the root's own that fails in a container).
if ! wait_for 120 "the root's systemd is up" in_root sh -c 'systemctl is-system-running | grep -Eq "running|degraded"'; then
    echo "   state: $(in_root systemctl is-system-running 2>&1)"; in_root systemctl list-jobs --no-pager 2>&1 | head -20
    tail -30 "$work/console.log"; exit 1
fi
ok "booted in $((SECONDS - started)) s ($(in_root systemctl is-system-running))"
check "no Swift in the root" in_root sh -c '! command -v swift && [ -z "$(find / -xdev -name "libswiftCore*" -print -quit)" ]'

say "apt-get install ./$(basename "$previous") (the previous build)"
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "/debs/$(basename "$previous")" > "$work/install.log" 2>&1 \
    && ok "every dependency resolved from Debian ($(grep -c '^Setting up' "$work/install.log") packages set up)" \
    || { grep -iE -B2 -A8 "error|warn" "$work/install.log" | head -60; fail "apt-get install"; exit 1; }
check "no Swift runtime after the install either" in_root sh -c '[ -z "$(find / -xdev -name "libswift*.so*" -print -quit)" ]'
check "every library of the binaries found" in_root sh -c '! ldd /usr/bin/roomrecd /usr/bin/roomrecctl | grep -q "not found"'
installed=$(in_root roomrecd --version)
[ "$installed" = "$(version_of "$previous")" ] && ok "roomrecd --version: $installed" || fail "roomrecd --version says $installed"
[ "$(in_root roomrecctl --version)" = "$installed" ] && ok "roomrecctl --version: the same" || fail "roomrecctl --version differs"
check "roomrecd --check-config /etc/roomrec/roomrec.toml: $(in_root roomrecd --check-config /etc/roomrec/roomrec.toml 2>&1)" \
    in_root roomrecd --check-config /etc/roomrec/roomrec.toml
verify=$(in_root systemd-analyze verify --man=no /lib/systemd/system/roomrec.service /lib/systemd/system/roomrec.socket /lib/systemd/system/roomrec-panel.socket 2>&1) \
    && ok "systemd-analyze verify: the three units${verify:+ ($verify)}" || fail "systemd-analyze verify: $verify"
check "roomrec.socket started on install" in_root systemctl is-active --quiet roomrec.socket
check "roomrec.service enabled and running" in_root sh -c 'systemctl is-enabled --quiet roomrec.service && systemctl is-active --quiet roomrec.service'
check "roomrec-panel.socket left off" in_root sh -c '! systemctl is-enabled --quiet roomrec-panel.socket'
check "the roomrec user, its directories and /etc/roomrec/roomrec.toml as a conffile" in_root sh -c \
    'id roomrec >/dev/null && [ "$(stat -c %U /var/lib/roomrec)" = roomrec ] && dpkg-query -W -f="\${Conffiles}" roomrecorder | grep -q /etc/roomrec/roomrec.toml'
check "man pages and completions installed" in_root sh -c \
    'ls /usr/share/man/man8/roomrecd.8.gz /usr/share/man/man1/roomrecctl.1.gz /usr/share/man/man5/roomrec.toml.5.gz /usr/share/bash-completion/completions/roomrecctl /usr/share/zsh/vendor-completions/_roomrecctl /usr/share/fish/vendor_completions.d/roomrecctl.fish /usr/share/doc/roomrecorder/README.md* >/dev/null'
dpkg_files=$(in_root dpkg -L roomrecorder)

library=/var/lib/roomrec/library/room-101/Recordings
delivered() { find "$root$library" -name '*.mp4' 2>/dev/null | wc -l; }
delivered_at_least() { [ "$(delivered)" -ge "$1" ]; }
newest() { find "$@" -name '*.mp4' -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -1 | cut -d' ' -f2-; }
recording_state() { in_root roomrecctl status --json | json '(d.get("current") or {}).get("recordingId", "")' 2>/dev/null; }
probe() { ffprobe -v error -show_entries format=duration:stream=codec_name,width,height -of csv=p=0 "$1" | tr '\n' ' '; }

say "A 5-second recording of the synthetic stage, delivered to the local library"
in_root roomrecctl start --title "Package test"
sleep 5
in_root roomrecctl stop
if wait_for 60 "the first recording delivered" delivered_at_least 1; then
    file=$(newest "$root$library")
    info=$(probe "$file")
    ok "$(basename "$file"): $info"
    echo "$info" | grep -q "h264,1920,1080" && echo "$info" | grep -q "aac" || fail "ffprobe: not 1080p H.264 with AAC"
fi

say "Upgrade to $(version_of "$new") while a recording runs"
in_root roomrecctl start --title "Upgrade test"
sleep 3
pid_before=$(in_root systemctl show -p MainPID --value roomrec.service)
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "/debs/$(basename "$new")" > "$work/upgrade.log" 2>&1 \
    || { tail -20 "$work/upgrade.log"; fail "apt-get install of the new build"; }
grep -q "roomrecd restarts when recording" "$work/upgrade.log" && ok "postinst: $(grep "roomrecd restarts" "$work/upgrade.log")" \
    || fail "the postinst did not ask for a restart after the recording: $(tail -5 "$work/upgrade.log")"
[ "$(in_root systemctl show -p MainPID --value roomrec.service)" = "$pid_before" ] && ok "the daemon was not restarted (pid $pid_before)" \
    || fail "the daemon was restarted during the recording"
[ -n "$(recording_state)" ] && ok "the recording goes on" || fail "the recording stopped at the upgrade"
[ "$(in_root roomrecd --version)" = "$(version_of "$new")" ] && ok "/usr/bin/roomrecd is $(version_of "$new")"
sleep 3
in_root roomrecctl stop
main_pid_changed() { [ "$(in_root systemctl show -p MainPID --value roomrec.service)" != "$pid_before" ]; }
wait_for 30 "the daemon restarted after the recording" main_pid_changed
wait_for 30 "the new daemon answers" in_root roomrecctl status
running=$(in_root roomrecctl status --json | json 'd["version"]')
[ "$running" = "$(version_of "$new")" ] && ok "the running daemon is $running" || fail "the running daemon is $running"
if wait_for 60 "the upgrade's recording delivered" delivered_at_least 2; then
    file=$(newest "$root$library")
    duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$file")
    python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 5.5 else 1)" "$duration" \
        && ok "one file across the upgrade: $(basename "$file"), $duration s" || fail "the recording was split: $duration s"
    [ "$(delivered)" = 2 ] || fail "$(delivered) files in the library, not 2"
fi

say "apt-get remove while a recording runs (uploads paused: it stays undelivered)"
in_root roomrecctl queue pause >/dev/null
in_root roomrecctl start --title "Remove test"
sleep 3
in_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq roomrecorder > "$work/remove.log" 2>&1 || { tail -20 "$work/remove.log"; fail "apt-get remove"; }
check "the daemon stopped" in_root sh -c '! systemctl is-active --quiet roomrec.service'
check "/var/lib/roomrec and the configuration kept" in_root sh -c '[ -f /var/lib/roomrec/roomrec.sqlite ] && [ -f /etc/roomrec/roomrec.toml ]'
last=$(newest "$root/var/lib/roomrec/recordings" "$root$library")
case "$last" in *Remove\ test*) ok "the running recording finished as a playable file: $(probe "$last")" ;; *) fail "no finished file of the recording cut by remove (newest: $last)" ;; esac

say "dpkg --purge"
if in_root dpkg --purge roomrecorder > "$work/purge.log" 2>&1; then
    fail "purge deleted recordings the media library does not have"
else
    grep -q "ROOMREC_PURGE_RECORDINGS=yes dpkg --purge roomrecorder" "$work/purge.log" && ok "refused, naming the recordings and how to ask:" || fail "the refusal does not say how to ask"
    sed 's/^/      /' "$work/purge.log"
    grep -q "/var/lib/roomrec/recordings/.*Remove test.mp4" "$work/purge.log" && ok "the undelivered recording is named" || fail "the undelivered recording is not named"
    grep -q "/var/lib/roomrec/recordings/.*Package test.mp4" "$work/purge.log" && fail "a delivered recording's local copy was counted as at risk" \
        || ok "the local copies of delivered recordings are not"
    check "the recordings are still there" test "$(delivered)" -ge 2
fi
in_root env ROOMREC_PURGE_RECORDINGS=yes dpkg --purge roomrecorder > "$work/purge2.log" 2>&1 && ok "ROOMREC_PURGE_RECORDINGS=yes dpkg --purge roomrecorder" \
    || { cat "$work/purge2.log"; fail "the purge asked for failed"; }
left=""
while IFS= read -r path; do
    [ -n "$path" ] && [ ! -d "$root$path" ] && [ -e "$root$path" ] && left="$left $path"
done <<< "$dpkg_files"
for path in /etc/roomrec /var/lib/roomrec /usr/share/doc/roomrecorder; do [ -e "$root$path" ] && left="$left $path"; done
left="$left $(cd "$root" && find etc/systemd var/lib/systemd/deb-systemd-helper-enabled -name '*roomrec*' 2>/dev/null | tr '\n' ' ')"
[ -z "${left// /}" ] && ok "no file of the package left" || fail "left behind:$left"
check "dpkg knows no roomrecorder" in_root sh -c '! dpkg -s roomrecorder >/dev/null 2>&1'

echo
echo "package test: $((SECONDS - started)) s"
if [ "$failures" = 0 ]; then echo "package test: passed"; else echo "package test: $failures FAILED"; exit 1; fi
