#include "BuildVersion.h"

// Written by `scripts/version.sh --stamp` (every make target that builds), which also touches this file when the
// version changes, so the build compiles it again; not in git.
#if __has_include("version.generated.h")
#include "version.generated.h"
#endif

#ifndef ROOMREC_VERSION
#define ROOMREC_VERSION "0.1.0-dev"
#endif

const char *roomrec_build_version(void) { return ROOMREC_VERSION; }
