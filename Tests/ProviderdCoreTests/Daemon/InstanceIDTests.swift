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

@Suite("instance-id: a state directory on another host takes an id of its own")
struct InstanceHostTests {
    @Test("the same host keeps its id; another machine id or host name gets a new one, and says which it had")
    func bound() throws {
        let directory = try TemporaryDirectory()
        let state = try StateDirectory(path: directory.path)
        let here = HostIdentity(machineID: "aaaa", hostname: "web-1")
        let first = try state.instanceID(host: here)
        #expect(first.previous == nil)
        #expect(try state.instanceID(host: here).value == first.value)

        let clone = HostIdentity(machineID: "bbbb", hostname: "web-1")
        let moved = try state.instanceID(host: clone)
        #expect(moved.value != first.value)
        #expect(moved.previous == first.value)
        #expect(moved.previousHost == "machine-id=aaaa hostname=web-1")
        #expect(try state.instanceID(host: clone).value == moved.value)

        let renamed = try state.instanceID(host: HostIdentity(machineID: "bbbb", hostname: "web-2"))
        #expect(renamed.value != moved.value)
    }

    @Test("a directory from before the binding adopts this host without a new id")
    func adopted() throws {
        let directory = try TemporaryDirectory()
        let state = try StateDirectory(path: directory.path)
        let known = "6f1c2a7e-3b1d-4c55-9a0e-2f3d4b5c6d7e"
        try Data((known + "\n").utf8).write(to: URL(fileURLWithPath: state.file("instance-id")))
        #expect(try state.instanceID(host: HostIdentity(machineID: "m", hostname: "h")).value == known)
        #expect(try String(contentsOfFile: state.file("instance-host"), encoding: .utf8) == "machine-id=m hostname=h\n")
    }
}
