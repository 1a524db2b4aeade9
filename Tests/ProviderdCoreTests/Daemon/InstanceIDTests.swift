import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("instance-id: never replaced silently while segments name it")
struct InstanceIDTests {
    let known = "6f1c2a7e-3b1d-4c55-9a0e-2f3d4b5c6d7e"

    func state(_ directory: TemporaryDirectory, segmentsOf instances: [String]) throws -> StateDirectory {
        let state = try StateDirectory(path: directory.path)
        try FileManager.default.createDirectory(atPath: state.file("spool/quarantine"), withIntermediateDirectories: true)
        for (n, instance) in instances.enumerated() {
            let folder = n % 2 == 0 ? "spool" : "spool/quarantine"
            try Data("{}\n".utf8).write(to: URL(fileURLWithPath: state.file("\(folder)/\(instance)-000000000000000\(n + 1).ndjson")))
        }
        return state
    }

    @Test("first start makes an id and keeps it")
    func fresh() throws {
        let dirstate = try TemporaryDirectory()
        let state = try state(dirstate, segmentsOf: [])
        let first = try state.instanceID()
        #expect(first.recovered == nil)
        #expect(try state.instanceID().value == first.value)
    }

    @Test("a damaged or missing file is recovered from the segment names")
    func recovered() throws {
        let dirstate = try TemporaryDirectory()
        let state = try state(dirstate, segmentsOf: [known, known])
        try Data("garbage\u{0}\n".utf8).write(to: URL(fileURLWithPath: state.file("instance-id")))
        #expect(try state.instanceID() == .init(value: known, recovered: "damaged"))
        #expect(try String(contentsOfFile: state.file("instance-id"), encoding: .utf8) == known + "\n")
        try FileManager.default.removeItem(atPath: state.file("instance-id"))
        #expect(try state.instanceID() == .init(value: known, recovered: "missing"))
    }

    @Test("a damaged file with no segment, or segments of two instances, stops the start with what to do")
    func refused() throws {
        let dirempty = try TemporaryDirectory()
        let empty = try state(dirempty, segmentsOf: [])
        try Data("not-a-uuid\n".utf8).write(to: URL(fileURLWithPath: empty.file("instance-id")))
        #expect { try empty.instanceID() } throws: { "\($0)".contains("is damaged (not a UUID)") && "\($0)".contains("remove the file") }
        #expect(try String(contentsOfFile: empty.file("instance-id"), encoding: .utf8) == "not-a-uuid\n")

        let other = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
        let dirtwo = try TemporaryDirectory()
        let two = try state(dirtwo, segmentsOf: [known, other])
        #expect { try two.instanceID() } throws: { "\($0)".contains("name 2 instances") }
        #expect(!FileManager.default.fileExists(atPath: two.file("instance-id")))
    }
}
