import Logging
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What the pages are made of: the templates and static files of `dashboard/`,
/// embedded at build time (`EmbedResourcesPlugin`), and Chart.js, read once at
/// start from Debian's `libjs-chart.js` (`dashboard.chart_js`). Nothing is ever
/// loaded from another host.
package struct DashboardAssets: Sendable {
    /// A file served under `/static/`.
    package struct StaticFile: Sendable {
        package var contentType: String
        package var bytes: [UInt8]
        /// The same bytes gzipped, for a browser that accepts it (Chart.js: 199 KB
        /// becomes about 68 KB); nil when gzip would not make it smaller.
        package var gzipped: [UInt8]?

        init(contentType: String, bytes: [UInt8]) {
            self.contentType = contentType
            self.bytes = bytes
            gzipped = Gzip.compress(bytes).flatMap { $0.count < bytes.count ? $0 : nil }
        }
    }

    /// Template name (file name without `.mustache`) to its text.
    package let templates: [String: String]
    /// `/static/NAME` to the file.
    package let files: [String: StaticFile]
    /// Changes whenever any static file does: links carry it (`?v=`), so a
    /// browser may keep a file for a year and still never use an old one.
    package let version: String
    /// Whether Chart.js was found: without it the usage page shows its table only.
    package let hasChart: Bool

    /// The embedded files, plus Chart.js from `chartPath` when it is there.
    package static func load(chartPath: String, logger: Logger) -> DashboardAssets {
        var templates: [String: String] = [:]
        var files: [String: StaticFile] = [:]
        for (path, text) in EmbeddedResources.files {
            let name = String(path.split(separator: "/").last ?? "")
            if path.hasPrefix("dashboard/templates/"), name.hasSuffix(".mustache") {
                templates[String(name.dropLast(".mustache".count))] = text
            } else if path.hasPrefix("dashboard/static/") {
                files[name] = StaticFile(contentType: contentType(of: name), bytes: Array(text.utf8))
            }
        }
        var hasChart = false
        if let data = FileManager.default.contents(atPath: chartPath) {
            files["chart.min.js"] = StaticFile(contentType: contentType(of: "chart.min.js"), bytes: Array(data))
            hasChart = true
        } else {
            logger.warning(
                "Chart.js not found: the usage page shows its table without the chart; install libjs-chart.js or set dashboard.chart_js",
                metadata: ["path": "\(chartPath)"])
        }
        var all: [UInt8] = []
        for name in files.keys.sorted() { all += Array(name.utf8) + Fingerprint.hex(of: files[name]!.bytes).utf8 }
        return DashboardAssets(templates: templates, files: files, version: Fingerprint.hex(of: all), hasChart: hasChart)
    }

    static func contentType(of name: String) -> String {
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if name.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if name.hasSuffix(".svg") { return "image/svg+xml" }
        return "application/octet-stream"
    }
}
