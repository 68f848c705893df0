# RoomRecorder: build, test, demo and install.
#   make demo     install what is missing, build, record 15 s of the synthetic stage and deliver it
#   make test     build and run every test
#   make monitoring-test  check and unit-test the fleet's alerting rules, check the dashboard's metric names
#   make run      the daemon in the foreground with a development config (out/dev)
#   make fuzz     schemathesis against the live control socket (docs/control-api.yaml)
#   make install  release build installed with its units, rules and example config (PREFIX, DESTDIR)
#   make deb      out/deb/roomrecorder_<version>_amd64.deb, the version from git describe; prints its installed size
#                 and the daemon's start-to-ready time
#   make package-test  lintian, then install, record, upgrade while recording and purge in a fresh Debian 12 root

PREFIX      ?= /usr/local
DESTDIR     ?=
SYSTEMDDIR  ?= /usr/lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
UDEVDIR     ?= /usr/lib/udev/rules.d
CONFDIR     ?= /etc/roomrec
SWIFT       ?= swift
OUT         := $(CURDIR)/out

# Debian 12 packages the build, the tests and the demo need.
APT_PACKAGES := pkg-config libavcodec-dev libavformat-dev libavfilter-dev libavutil-dev libswscale-dev \
	libswresample-dev libv4l-dev libasound2-dev libsqlite3-dev libsystemd-dev zlib1g-dev ffmpeg fonts-dejavu-core \
	systemd python3 python3-venv socat unzip janus gcc libc6-dev libical-dev libicu-dev \
	libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
	gstreamer1.0-plugins-bad gstreamer1.0-nice prometheus chromium chromium-driver nodejs

.PHONY: all deps deb-deps test-peers whip-server version-stamp build release release-build release-bin-path package-files deb package-test \
	test monitoring-test fuzz demo run install uninstall clean

all: build

# A shell fragment that installs those of the Debian packages in $(1) that are missing (as root, or through sudo);
# it leaves $$missing (what it installed) and $$sudo set for the lines after it.
define install-missing
missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
if [ -n "$$missing" ]; then \
	echo "Installing Debian packages: $$missing"; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
fi
endef

deps:
	@$(call install-missing,$(APT_PACKAGES)); \
	if echo "$$missing" | grep -qx janus; then \
		echo "janus is for the tests (they start their own on 127.0.0.1): its system service is disabled"; \
		$$sudo systemctl disable --now janus.service >/dev/null 2>&1 || true; \
	fi; \
	if echo "$$missing" | grep -qx prometheus; then \
		echo "prometheus is for promtool (the alerting rules' tests): its own server is disabled"; \
		$$sudo systemctl disable --now prometheus.service prometheus-node-exporter.service >/dev/null 2>&1 || true; \
	fi; \
	if dpkg-query -W -f='$${Status}' simple-whip-server 2>/dev/null | grep -q 'install ok installed' && \
		{ systemctl is-enabled --quiet simple-whip-server.service || systemctl is-active --quiet simple-whip-server.service; } 2>/dev/null; then \
		echo "simple-whip-server is for the tests (they run their own, from out/simple-whip-server): its system service is disabled"; \
		$$sudo systemctl disable --now simple-whip-server.service >/dev/null 2>&1 || true; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "Swift 6 is needed: https://www.swift.org/install/linux/ (or set SWIFT=)"; exit 1; }

# The version the binaries report (roomrecd --version), from git describe: written into the build when it changed.
version-stamp:
	@scripts/version.sh --stamp >/dev/null

build: deps version-stamp
	$(SWIFT) build

# The release build, for make install and the Debian package: the Swift runtime and Foundation linked in statically
# (a room computer has no Swift toolchain), no $$ORIGIN library path, bind-now relocations.
RELEASE_FLAGS := -c release --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now
release: deps release-build
release-build: version-stamp
	$(SWIFT) build $(RELEASE_FLAGS)
release-bin-path:
	@$(SWIFT) build $(RELEASE_FLAGS) --show-bin-path

# What the package has beside the binaries, generated from the sources that describe it (DIR): the man pages
# (roomrecd(8) and roomrecctl(1) from the commands' own help, by swift-argument-parser's generate-manual;
# roomrec.toml(5) from the commented config/roomrec.toml) and roomrecctl's completions for bash, zsh and fish.
DIR ?= $(OUT)/package-files
package-files: release-build
	$(SWIFT) build $(RELEASE_FLAGS) --product generate-manual
	@mkdir -p $(DIR)
	bin=$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path); \
	date=$$(date -u -d @$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)} +%F); \
	$$bin/generate-manual $$bin/roomrecctl --section 1 --date $$date -o $(DIR) && \
	$$bin/generate-manual $$bin/roomrecd --section 8 --date $$date -o $(DIR) && \
	python3 scripts/config-manpage.py config/roomrec.toml "$$($$bin/roomrecd --version)" > $(DIR)/roomrec.toml.5 && \
	for shell in bash zsh fish; do $$bin/roomrecctl --generate-completion-script $$shell > $(DIR)/roomrecctl.$$shell || exit 1; done; \
	sed -i '1{/^#!/d}' $(DIR)/roomrecctl.bash

# The Debian package (debian/), built here with the Swift toolchain and installed on room computers without one.
# debian/changelog is written from git: the version (scripts/version.sh) and the commit.
DEB_APT_PACKAGES := debhelper dpkg-dev lintian mmdebstrap systemd-container
DEB_DIR := $(OUT)/deb
DEB_MAINTAINER := RoomRecorder developers <roomrecorder@example.org>
deb-deps:
	@$(call install-missing,$(DEB_APT_PACKAGES))
deb: deps deb-deps
	@mkdir -p $(OUT) && scripts/version.sh > $(OUT)/deb-version && version=$$(cat $(OUT)/deb-version) && \
	printf 'roomrecorder (%s) bookworm; urgency=medium\n\n  * Built from %s.\n\n -- %s  %s\n' "$$version" \
		"$$(git log -1 --format='commit %h' 2>/dev/null || echo 'a tree outside git')" "$(DEB_MAINTAINER)" \
		"$$(git log -1 --format=%aD 2>/dev/null || date -R)" > debian/changelog
	dpkg-checkbuilddeps
	@mkdir -p $(DEB_DIR)
	DEB_DESTDIR=$(DEB_DIR) debian/rules build binary
	scripts/deb-report.sh $(DEB_DIR)/roomrecorder_$$(cat $(OUT)/deb-version)_$$(dpkg --print-architecture).deb debian/roomrecorder

# lintian on the package (no error, no warning that debian/roomrecorder.lintian-overrides does not explain), then
# scripts/package-test.sh: a fresh Debian 12 root (mmdebstrap, Debian's packages, no Swift) booted with
# systemd-nspawn; install, record, upgrade while recording, remove and purge. "The previous build" is this tree
# built as version <version>~prev, which sorts before it: the upgrade runs the old package's prerm and the new one's
# postinst as dpkg does between any two builds.
package-test: deps deb-deps
	$(MAKE) --no-print-directory deb ROOMREC_VERSION=$$(scripts/version.sh)~prev
	$(MAKE) --no-print-directory deb
	version=$$(scripts/version.sh); arch=$$(dpkg --print-architecture); \
	lintian --fail-on error,warning $(DEB_DIR)/roomrecorder_$${version}_$$arch.deb && echo "lintian: no errors, no warnings" && \
	scripts/package-test.sh $(DEB_DIR)/roomrecorder_$${version}~prev_$$arch.deb $(DEB_DIR)/roomrecorder_$${version}_$$arch.deb

# The real servers and peers the tests talk to that Debian does not package: moto's S3-compatible server and
# boto3, aiortc (the remote participants of the Janus session tests), and icalendar with recurring-ical-events
# (the independent calendar expansion of Tests/Peers/calendar_reference.py and bench/schedule.sh), and selenium
# (Tests/Peers/panel_browser.py drives Debian's chromium through chromium-driver), from PyPI, in a virtual
# environment of their own. (Janus itself, and gcc for its loopback shim, are Debian packages above.)
TEST_VENV := $(OUT)/test-venv
TEST_PEERS := "moto[server]==5.2.1" "aiortc==1.16.0" "icalendar==7.3.2" "recurring-ical-events==3.8.2" "x-wr-timezone==2.0.1" \
	"selenium==4.51.0"
test-peers: $(TEST_VENV)/.installed-4
$(TEST_VENV)/.installed-4:
	python3 -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/pip install --quiet --disable-pip-version-check $(TEST_PEERS)
	touch $@

# Debian's simple-whip-server (a WHIP endpoint in front of Janus, for the WHIP tests: Tests/Support/WHIPServer.swift)
# with the node packages it needs, extracted from their .debs into $(WHIP_SERVER)/root rather than installed: apt
# cannot install it beside NodeSource's nodejs (CI's, which conflicts with the libnode108 node-websocket needs), and
# extracted it runs with any node, Debian's or NodeSource's, through NODE_PATH. Where apt could install it, this is
# the same code. apt-get download needs no root, only the package lists (make deps). server.js and whip-janus.js are
# copied to $(WHIP_SERVER): each test server runs copies of them beside a config.js of its own (server.js has no
# options and reads ./config.js).
WHIP_SERVER := $(OUT)/simple-whip-server
whip-server: $(WHIP_SERVER)/.extracted-1
$(WHIP_SERVER)/.extracted-1:
	@apt-cache show simple-whip-server >/dev/null 2>&1 || \
		{ echo "apt knows no simple-whip-server: apt-get update (as root) first, or make deps"; exit 1; }
	rm -rf $(WHIP_SERVER) && mkdir -p $(WHIP_SERVER)/debs $(WHIP_SERVER)/root
	cd $(WHIP_SERVER)/debs && pkgs=$$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances --no-pre-depends simple-whip-server | grep -E '^(node-|simple-whip|libjs-)' | sort -u) && \
		apt-get download -q $$pkgs >/dev/null
	for deb in $(WHIP_SERVER)/debs/*.deb; do dpkg-deb -x $$deb $(WHIP_SERVER)/root || exit 1; done
	cp $(WHIP_SERVER)/root/usr/share/simple-whip-server/src/server.js $(WHIP_SERVER)/root/usr/share/simple-whip-server/src/whip-janus.js $(WHIP_SERVER)/
	rm -rf $(WHIP_SERVER)/debs
	touch $@

# XCTest only (no Swift Testing suites), so the run closes on XCTest's summary line.
test: deps test-peers whip-server monitoring-test version-stamp
	$(SWIFT) build --build-tests
	ROOMREC_TEST_VENV=$(TEST_VENV) ROOMREC_WHIP_SERVER=$(WHIP_SERVER) $(SWIFT) test --skip-build --disable-swift-testing

# The fleet's alerting rules and dashboard (docs/monitoring/): promtool (Debian's prometheus package) checks the
# rules and runs their unit tests; scripts/check-dashboard.py checks that the rules and the dashboard query only
# metrics roomrecd exports. Builds nothing.
monitoring-test:
	@command -v promtool >/dev/null || { echo "promtool is needed: Debian's prometheus package (make deps)"; exit 1; }
	promtool check rules docs/monitoring/roomrec-alerts.yml
	promtool test rules docs/monitoring/roomrec-alerts.test.yml
	python3 scripts/check-dashboard.py

out/%/roomrec.toml $(OUT)/%/roomrec.toml: config/dev.toml.in
	@mkdir -p $(@D)
	sed 's|@OUT@|$(abspath $(@D))|g' $< > $@

# Schemathesis against the live socket, every check, a bounded number of examples per operation (FUZZ_EXAMPLES).
FUZZ_EXAMPLES ?= 25
fuzz: build $(OUT)/fuzz/roomrec.toml
	scripts/fuzz.sh "$$($(SWIFT) build --show-bin-path)" $(OUT)/fuzz $(FUZZ_EXAMPLES)

demo: build $(OUT)/demo/roomrec.toml
	scripts/demo.sh "$$($(SWIFT) build --show-bin-path)" $(OUT)/demo

run: build $(OUT)/dev/roomrec.toml
	"$$($(SWIFT) build --show-bin-path)/roomrecd" --config $(OUT)/dev/roomrec.toml

# The package owns the same unit, sysusers, tmpfiles and udev files (/lib is /usr/lib on Debian 12): remove it first.
install: release
	@! dpkg-query -W -f='$${Status}' roomrecorder 2>/dev/null | grep -q 'install ok installed' || \
		{ echo "roomrecorder is installed from its package, which owns these files: apt remove roomrecorder first"; exit 1; }
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(UDEVDIR) $(DESTDIR)$(CONFDIR)
	bin=$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path) && install -m 0755 "$$bin/roomrecd" "$$bin/roomrecctl" $(DESTDIR)$(PREFIX)/bin/
	sed 's|/usr/local/bin/|$(PREFIX)/bin/|g' systemd/roomrec.service > $(DESTDIR)$(SYSTEMDDIR)/roomrec.service
	install -m 0644 systemd/roomrec.socket $(DESTDIR)$(SYSTEMDDIR)/roomrec.socket
	install -m 0644 systemd/roomrec-panel.socket $(DESTDIR)$(SYSTEMDDIR)/roomrec-panel.socket
	install -m 0644 systemd/roomrec.sysusers $(DESTDIR)$(SYSUSERSDIR)/roomrec.conf
	install -m 0644 systemd/roomrec.tmpfiles $(DESTDIR)$(TMPFILESDIR)/roomrec.conf
	install -m 0644 udev/70-roomrec.rules $(DESTDIR)$(UDEVDIR)/70-roomrec.rules
	[ -e $(DESTDIR)$(CONFDIR)/roomrec.toml ] || install -m 0644 config/roomrec.toml $(DESTDIR)$(CONFDIR)/roomrec.toml
	@echo "Installed. On the room computer: systemd-sysusers; systemd-tmpfiles --create; udevadm control --reload;"
	@echo "  edit $(CONFDIR)/roomrec.toml, then: systemctl daemon-reload && systemctl enable --now roomrec.socket roomrec.service"

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/roomrecd $(DESTDIR)$(PREFIX)/bin/roomrecctl $(DESTDIR)$(SYSTEMDDIR)/roomrec.service \
		$(DESTDIR)$(SYSTEMDDIR)/roomrec.socket $(DESTDIR)$(SYSTEMDDIR)/roomrec-panel.socket $(DESTDIR)$(SYSUSERSDIR)/roomrec.conf $(DESTDIR)$(TMPFILESDIR)/roomrec.conf \
		$(DESTDIR)$(UDEVDIR)/70-roomrec.rules

clean:
	rm -rf .build $(OUT)
