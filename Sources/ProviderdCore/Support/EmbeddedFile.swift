/// The files the build embeds (`EmbedResourcesPlugin`) for other targets: the
/// management API's `openapi.json`, which `providerd dashboard` serves as it is.
package enum EmbeddedFile {
    /// The text of a file by its path in the package, e.g. `Sources/ProviderdAPI/openapi.json`.
    package static func text(_ path: String) -> String? { EmbeddedResources.files[path] }
}
