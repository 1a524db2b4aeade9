import Testing

@testable import ProviderdCore

@Suite("Metric labels stay bounded")
struct MetricLabelsTests {
    @Test("services past the cap, unknown models and pairs past the series cap count as 'other'")
    func bounded() {
        var labels = MetricLabels()
        for index in 0..<300 {
            let got = labels.labels(service: "svc\(index)", model: "openai:gpt-4o", priced: true)
            #expect(got.service == (index < MetricLabels.maxServices ? "svc\(index)" : "other"))
            #expect(got.provider == "openai")
        }
        #expect(labels.labels(service: "svc1", model: "mystery:x", priced: false) == ("svc1", "other", "other"))
        var many = MetricLabels()
        for index in 0..<(MetricLabels.maxSeries + 50) {
            let got = many.labels(service: "s\(index % 100)", model: "openai:m\(index)", priced: true)
            if index >= MetricLabels.maxSeries { #expect(got == ("other", "other", "other")) }
        }
    }

    @Test("providers as OpenTelemetry names them where it does")
    func providers() {
        #expect(MetricLabels.provider("google-gla") == "gcp.gemini")
        #expect(MetricLabels.provider("mistral") == "mistral_ai")
        #expect(MetricLabels.provider("openai-responses") == "openai")
        #expect(MetricLabels.provider("ollama") == "ollama")
    }
}
