// libical (RFC 5545 parsing, recurrence rules, VTIMEZONE conversion), and the one thing the calendar engine needs
// of ICU: CLDR's mapping of Windows zone names ("W. Europe Standard Time"), as Outlook and Exchange write them,
// to IANA names. ICU's own headers stay in WindowsZones.c: they would clash with the copy of ICU inside
// Foundation.
#pragma once
#include <libical/ical.h>

/// The IANA name ICU's CLDR data gives a Windows zone name (for the world, territory "001"), in `iana` as UTF-8;
/// returns 0 when the name is not a Windows zone.
int roomrec_iana_zone_for_windows_zone(const char *windows, char *iana, int capacity);
