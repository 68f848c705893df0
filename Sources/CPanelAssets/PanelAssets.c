#include "CPanelAssets.h"

// #embed is C23's; clang takes it in older modes too, and says so.
#pragma clang diagnostic ignored "-Wc23-extensions"

static const unsigned char html[] = {
#embed "../ControlAPI/Panel/index.html"
};
static const unsigned char css[] = {
#embed "../ControlAPI/Panel/panel.css"
};
static const unsigned char js[] = {
#embed "../ControlAPI/Panel/panel.js"
};

const unsigned char *roomrec_panel_html(size_t *size) { *size = sizeof(html); return html; }
const unsigned char *roomrec_panel_css(size_t *size) { *size = sizeof(css); return css; }
const unsigned char *roomrec_panel_js(size_t *size) { *size = sizeof(js); return js; }
