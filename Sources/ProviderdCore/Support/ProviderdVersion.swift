/// The version `providerd --version` prints.
package enum ProviderdVersion {
    package static let current = "0.1.0"
}
