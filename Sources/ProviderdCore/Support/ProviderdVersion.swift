/// The version `providerd --version` prints.
public enum ProviderdVersion {
    public static let current = "0.1.0"
}
