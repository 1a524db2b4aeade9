/// One line of `providerd check`.
package struct CheckItem: Sendable, Codable, Equatable {
    package enum Status: String, Sendable, Codable { case ok, warning, error }
    package var check: String
    package var status: Status
    package var detail: String

    package init(_ check: String, _ status: Status, _ detail: String) {
        self.check = check
        self.status = status
        self.detail = detail
    }
}
