/// One day of a service's usage of one model, as `model_usage` holds it: what
/// recommendations reprice under other models.
package struct ServiceTokens: Sendable, Equatable {
    /// Unix seconds of the UTC midnight starting the day.
    package var day: Int64
    package var model: String
    package var requests: Int64
    /// Input tokens, cache reads and writes included (PydanticAI's count).
    package var input: Int64
    package var output: Int64
    package var cacheRead: Int64
    package var cacheWrite: Int64

    package init(day: Int64, model: String, requests: Int64, input: Int64, output: Int64, cacheRead: Int64, cacheWrite: Int64) {
        self.day = day
        self.model = model
        self.requests = requests
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
    }
}
