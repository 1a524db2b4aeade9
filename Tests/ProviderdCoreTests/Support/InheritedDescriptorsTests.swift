import Foundation
import Testing

@testable import ProviderdCore

@Suite("Descriptors inherited at start")
struct InheritedDescriptorsTests {
    @Test("a descriptor without close-on-exec is counted, one with it is not, nor systemd's passed sockets")
    func countsOnlyWhatSurvivesExec() throws {
        let leaked = open("/dev/null", O_RDONLY)
        let own = open("/dev/null", O_RDONLY | O_CLOEXEC)
        #expect(leaked > 2 && own > 2)
        defer {
            close(leaked)
            close(own)
        }
        let found = InheritedDescriptors.atStart(listenDescriptors: 0)
        #expect(found.descriptors.contains(leaked))
        #expect(!found.descriptors.contains(own))
        #expect(found.descriptors == found.descriptors.sorted())
        #expect(found.descriptors.allSatisfy { $0 > 2 })
        // A passed socket range starting at 3 is left out (here: everything up to `leaked`).
        let passed = InheritedDescriptors.atStart(listenDescriptors: Int(leaked) - 2)
        #expect(!passed.descriptors.contains(leaked))
    }
}
