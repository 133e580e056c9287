import Rules

/// `/sources` (`Templates/sources.mustache`): the documents the rules cite, each with its title,
/// issuer, date and what it covers; every `[00x]` citation of the pages links here.
struct SourcesView: PageView {
    static let template = "sources"
    let layout = Layout(title: "Sources")
    let documents: [Document]

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
    }
}
