import Foundation
import ProviderdCore
import TestSupport
import Testing

@Suite("Unix socket address: a path that fits, bound and reached; one that does not, refused")
struct UnixSocketAddressTests {
    @Test("a bound datagram socket receives what is sent to the same address")
    func bindAndSend() throws {
        let directory = try TemporaryDirectory()
        let address = try UnixSocketAddress(path: directory.file("s.sock"))
        let receiver = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0), sender = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer {
            close(receiver)
            close(sender)
        }
        #expect(address.withSockaddr { bind(receiver, $0, $1) } == 0)
        let sent = address.withSockaddr { target, length in "ping".withCString { sendto(sender, $0, 4, 0, target, length) } }
        #expect(sent == 4)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(recv(receiver, &buffer, buffer.count, 0) == 4)
        #expect(Array(buffer.prefix(4)) == Array("ping".utf8))
    }

    @Test("a path longer than sun_path is ENAMETOOLONG naming the path, not cut to another file")
    func tooLong() {
        let path = "/tmp/" + String(repeating: "a", count: 103)  // 108 bytes: no room for the NUL
        #expect(throws: SystemError.self) { try UnixSocketAddress(path: path) }
        do {
            _ = try UnixSocketAddress(path: path)
        } catch {
            #expect(error.code == ENAMETOOLONG)
            #expect(error.description.contains(path))
        }
        #expect((try? UnixSocketAddress(path: String(path.dropLast()))) != nil)
    }
}
