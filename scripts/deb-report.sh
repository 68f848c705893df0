#!/usr/bin/env bash
# What `make deb` built, in figures: the file, its installed size, what it depends on, and the daemon's
# start-to-ready time on the package's own (stripped) binaries. Figures, not limits.
#   scripts/deb-report.sh out/deb/roomrecorder_<version>_amd64.deb debian/roomrecorder
set -euo pipefail
deb=$1
tree=$2
installed_kib=$(dpkg-deb -f "$deb" Installed-Size)
echo "Built $deb"
echo "  file $(( $(stat -c %s "$deb") / 1048576 )) MiB; installed size $(( installed_kib / 1024 )) MiB ($installed_kib KiB)"
echo "  roomrecd $(( $(stat -c %s "$tree/usr/bin/roomrecd") / 1048576 )) MiB, roomrecctl $(( $(stat -c %s "$tree/usr/bin/roomrecctl") / 1048576 )) MiB (stripped)"
echo "  version: $("$tree/usr/bin/roomrecd" --version) (roomrecd), $("$tree/usr/bin/roomrecctl" --version) (roomrecctl)"
echo "  Depends: $(dpkg-deb -f "$deb" Depends)"
python3 "$(dirname "$0")/ready-time.py" "$tree/usr/bin/roomrecd"
