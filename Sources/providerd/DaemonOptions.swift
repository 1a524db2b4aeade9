import ArgumentParser
import ProviderdCore

/// Options of the commands that use the full configuration and its two files
/// (`run`, `render`, `check`).
struct DaemonOptions: ParsableArguments {
    @OptionGroup var settings: SettingsOptions

    @Option(name: .customLong("env-file"), help: "Env file to write (default /run/providerd/providers.env).")
    var envFile: String?

    @Option(name: .customLong("model-map"), help: "Model map to write (default /run/providerd/models.json).")
    var modelMap: String?

    @Flag(name: .customLong("json"), help: "Print one JSON document instead of a table (check).")
    var json = false

    var config: String? { settings.config }
    var environment: [String: String] { settings.environment }

    func loader() throws -> SettingsLoader {
        var flags: [String: String] = [:]
        flags["output.env_file"] = envFile
        flags["output.model_map"] = modelMap
        return try settings.loader(extra: flags)
    }
}
