import Rules

/// `/sources` (`Templates/sources.mustache`): the documents the rules cite, each with its title,
/// issuer, date and what it covers; every `[00x]` citation of the pages links here.
struct SourcesView: PageView {
    static let template = "sources"
    let layout = Layout(title: "Sources")
    let documents: [Document]
    let readings: [Reading]

    /// One of the platform's readings, where the sources are silent or a term needs a definition.
    struct Reading {
        let anchor: String
        let label: String
        let summary: String
    }

    struct Document {
        let anchor: String
        let citation: String
        let title: String
        let issuer: String
        let date: String
        let covers: String
        let file: String
    }

    init() {
        documents = SourceDocument.allCases.map { d in
            Document(anchor: "s\(d.rawValue)", citation: d.citation, title: d.title, issuer: d.issuer, date: d.date, covers: d.covers, file: d.file)
        }
        readings = PlatformReading.all.map { Reading(anchor: $0.anchor, label: $0.label.prefix(1).uppercased() + $0.label.dropFirst(), summary: $0.summary) }
    }
}
