import CPanelAssets
import Foundation

/// The room panel: a page, its style and its script, embedded in the binary (``CPanelAssets``), served at
/// `/panel/` to anyone who may read status. Everything it shows comes from the API beside it; the strict
/// Content-Security-Policy (``ControlResponse/panelHeaders``) lets it load nothing else.
enum PanelRoutes {
    static func add(to router: inout Router) {
        for (path, type, bytes) in [
            ("/panel/index.html", "text/html; charset=utf-8", asset(roomrec_panel_html)),
            ("/panel/panel.css", "text/css; charset=utf-8", asset(roomrec_panel_css)),
            ("/panel/panel.js", "text/javascript; charset=utf-8", asset(roomrec_panel_js)),
        ] {
            router.addImmediate("GET", path, role: .viewer) { _ in
                ControlResponse(status: 200, headers: [("Content-Type", type), ("Cache-Control", "no-cache")] + panelHeaders, body: bytes)
            }
        }
        // `/panel` and `/panel/` are one route to the router: the page's relative links need the slash.
        let page = asset(roomrec_panel_html)
        router.addImmediate("GET", "/panel/", role: .viewer) { request in
            guard request.path.hasSuffix("/") else { return ControlResponse(status: 308, headers: [("Location", "/panel/")]) }
            return ControlResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-cache")] + panelHeaders,
                                   body: page)
        }
    }

    /// What every answer on the panel's listener carries: the page may load only its own files and talk only to
    /// this server; it may not be framed; nothing is sniffed or sent as a referrer.
    static let panelHeaders: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]

    /// An embedded file's bytes, as they are.
    private static func asset(_ file: (UnsafeMutablePointer<Int>?) -> UnsafePointer<UInt8>?) -> Data {
        var size = 0
        guard let bytes = file(&size) else { return Data() }
        return Data(bytes: bytes, count: size)
    }
}
