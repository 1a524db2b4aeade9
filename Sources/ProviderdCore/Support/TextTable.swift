/// A plain text table for terminals: a header row, then rows, columns padded to
/// their widest cell (counted in characters).
package struct TextTable: Sendable {
    package var headers: [String]
    package var rows: [[String]] = []

    package init(_ headers: [String]) {
        self.headers = headers
    }

    package mutating func append(_ row: [String]) {
        rows.append(row)
    }

    package func render() -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                let isLast = index == cells.count - 1
                text += isLast ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }
            return text + "\n"
        }
        return ([line(headers)] + rows.map(line)).joined()
    }
}
