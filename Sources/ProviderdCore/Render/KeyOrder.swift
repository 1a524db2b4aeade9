/// A dictionary's keys in sorted order, remembered: a key change keeps the set of
/// providers and of variable names, and then the last order serves again, checked
/// key by key (a thousand lookups cost less than sorting a thousand strings, and a
/// render an agent waits on does both twice).
struct KeyOrder: Sendable {
    private var keys: [String] = []

    mutating func sorted<Value>(_ dictionary: [String: Value]) -> [String] {
        if keys.count != dictionary.count || !keys.allSatisfy({ dictionary[$0] != nil }) {
            keys = dictionary.keys.sorted()
        }
        return keys
    }
}
