// The room panel's page, style and script (Sources/ControlAPI/Panel/), embedded in the binary by the C compiler's
// #embed: kept in the repo as the files they are, with no build step of their own.
#pragma once
#include <stddef.h>

/// The file's bytes; its length in `size`.
const unsigned char *roomrec_panel_html(size_t *size);
const unsigned char *roomrec_panel_css(size_t *size);
const unsigned char *roomrec_panel_js(size_t *size);
