#ifndef ROOMREC_BUILD_VERSION_H
#define ROOMREC_BUILD_VERSION_H

/// The version stamped into this build by `make` (scripts/version.sh, from `git describe`): the one the Debian
/// package carries, so `roomrecd --version` and `dpkg -l roomrecorder` agree. A plain `swift build` that no
/// `make` stamped says "0.1.0-dev".
const char *roomrec_build_version(void);

#endif
