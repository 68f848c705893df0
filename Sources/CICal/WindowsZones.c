#include "CICal.h"
#include <unicode/ucal.h>
#include <unicode/ustring.h>

int roomrec_iana_zone_for_windows_zone(const char *windows, char *iana, int capacity) {
    UChar windowsID[128];
    UChar ianaID[128];
    UErrorCode status = U_ZERO_ERROR;
    u_strFromUTF8(windowsID, 128, NULL, windows, -1, &status);
    if (U_FAILURE(status)) return 0;
    int32_t length = ucal_getTimeZoneIDForWindowsID(windowsID, -1, NULL, ianaID, 128, &status);
    if (U_FAILURE(status) || length <= 0) return 0;
    u_strToUTF8(iana, capacity, NULL, ianaID, length, &status);
    return U_SUCCESS(status) ? 1 : 0;
}
