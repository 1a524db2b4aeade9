import Testing

@testable import ProviderdCore

@Suite("The usage socket's places: at the cap, the connection idle the longest gives way")
struct ConnectionTableTests {
    let second: UInt64 = 1_000_000_000

    @Test("under the cap everyone is admitted; at the cap the longest-idle connection with nothing pending is pushed out")
    func evictsLongestIdle() {
        var table = ConnectionTable<String>(minimumIdle: second)
        guard case .admitted(let a) = table.admit("a", now: 0, limit: 3),
            case .admitted(let b) = table.admit("b", now: 1, limit: 3),
            case .admitted = table.admit("c", now: 2, limit: 3)
        else {
            Issue.record("not admitted under the cap")
            return
        }
        table.began(a, now: 3 * second)  // a: a request pending
        table.began(b, now: 4 * second)
        table.ended(b, now: 4 * second)  // b: answered at 4 s
        // c idle since 2 ns, b since 4 s, a busy: c goes.
        guard case .admittedEvicting(_, let evicted) = table.admit("d", now: 10 * second, limit: 3) else {
            Issue.record("not admitted at the cap")
            return
        }
        #expect(evicted == "c")
        #expect(table.count == 3)
    }

    @Test("at the cap with every place busy or active within minimumIdle, the newcomer is refused")
    func refusesWhenNoneIdle() {
        var table = ConnectionTable<String>(minimumIdle: second)
        guard case .admitted(let a) = table.admit("a", now: 0, limit: 2), case .admitted = table.admit("b", now: second / 2, limit: 2) else {
            Issue.record("not admitted under the cap")
            return
        }
        table.began(a, now: second / 2)
        guard case .refused = table.admit("c", now: second, limit: 2) else {
            Issue.record("b was active half a second ago and a is busy: c must be refused")
            return
        }
        // Once b has been idle a whole second it gives way; a, still busy, never does.
        guard case .admittedEvicting(_, let evicted) = table.admit("c", now: 2 * second, limit: 2) else {
            Issue.record("b was idle long enough")
            return
        }
        #expect(evicted == "b")
        guard case .refused = table.admit("d", now: 2 * second + second / 2, limit: 2) else {
            Issue.record("c just arrived and a is busy")
            return
        }
    }

    @Test("a connection that left (or was pushed out) frees its place once")
    func leave() {
        var table = ConnectionTable<String>(minimumIdle: second)
        guard case .admitted(let a) = table.admit("a", now: 0, limit: 1) else { return }
        table.leave(a)
        table.leave(a)
        #expect(table.count == 0)
        guard case .admitted = table.admit("b", now: 1, limit: 1) else {
            Issue.record("the freed place was not taken")
            return
        }
    }
}
