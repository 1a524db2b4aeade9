import CLibFuzzer
import Foundation
import ProviderdFuzzChecks

/// `ProviderdFuzz TARGET FILE...` replays files through a target's checks.
/// Built by scripts/fuzz with `-sanitize=fuzzer -D FUZZING`, it hands its
/// arguments to libFuzzer instead (`PROVIDERD_FUZZ_TARGET` names the target).
@main
struct ProviderdFuzz {
    static func main() throws {
        #if FUZZING
            guard let name = ProcessInfo.processInfo.environment["PROVIDERD_FUZZ_TARGET"], FuzzTarget(rawValue: name) != nil else {
                fail("set PROVIDERD_FUZZ_TARGET")
            }
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(
                LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                    let target = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["PROVIDERD_FUZZ_TARGET"] ?? "")!
                    FuzzChecks.run(target, data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
                    return 0
                })
        #else
            let arguments = CommandLine.arguments.dropFirst()
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else { fail("usage: ProviderdFuzz TARGET FILE...") }
            for file in arguments.dropFirst() {
                FuzzChecks.run(target, [UInt8](try Data(contentsOf: URL(fileURLWithPath: file))))
            }
        #endif
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("\(message); targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(2)
    }
}
