import Foundation
import PackagePlugin

/// Embeds the package's top-level files into a target as Swift source, so the
/// installed binary carries them and the files in the repository remain the single
/// source of truth:
/// - ProviderdCore: `migrations/*.sql`, `etc/prices.json` and the API's `openapi.json`;
/// - ProviderdDashboard: the pages' `dashboard/templates/*.mustache` and `dashboard/static/*`.
@main
struct EmbedResourcesPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let packageDir = context.package.directoryURL
        let fileManager = FileManager.default
        var inputs: [URL] = []
        if target.name == "ProviderdDashboard" {
            for folder in ["dashboard/templates", "dashboard/static"] {
                let directory = packageDir.appendingPathComponent(folder)
                let names = (try? fileManager.contentsOfDirectory(atPath: directory.path)) ?? []
                inputs += names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
            }
            return [try command(context: context, target: target, inputs: inputs)]
        }
        let migrations = packageDir.appendingPathComponent("migrations")
        if let names = try? fileManager.contentsOfDirectory(atPath: migrations.path) {
            inputs += names.filter { $0.hasSuffix(".sql") }.sorted().map { migrations.appendingPathComponent($0) }
        }
        let prices = packageDir.appendingPathComponent("etc/prices.json")
        if fileManager.fileExists(atPath: prices.path) { inputs.append(prices) }
        // The management API's document, served at /api/v1/openapi.json as it is.
        let openAPI = packageDir.appendingPathComponent("Sources/ProviderdAPI/openapi.json")
        if fileManager.fileExists(atPath: openAPI.path) { inputs.append(openAPI) }

        return [try command(context: context, target: target, inputs: inputs)]
    }

    func command(context: PluginContext, target: Target, inputs: [URL]) throws -> Command {
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedResources.swift")
        return .buildCommand(
            displayName: "Embedding top-level files into \(target.name)",
            executable: try context.tool(named: "EmbedResources").url,
            arguments: [output.path, context.package.directoryURL.path] + inputs.map(\.path),
            inputFiles: inputs,
            outputFiles: [output]
        )
    }
}
