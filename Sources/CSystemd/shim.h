// libsystemd: readiness and watchdog notification, socket activation, the journal.
#pragma once
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>
