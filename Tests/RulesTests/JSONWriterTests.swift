import PropertyBased
@testable import Rules
import Testing

/// The JSON writer copies the bytes between two escapes at once: each escape at its place, the
/// runs around it whole, whatever the text.
@Suite("Écriture JSON")
struct JSONWriterTests {
    @Test func escapesAreWrittenInPlaceAndRunsWhole() {
        func written(_ s: String) -> String { String(decoding: JSON.string(s).utf8(indent: false), as: UTF8.self) }
        #expect(written("") == #""""#)
        #expect(written("EHPAD Les Cèdres") == #""EHPAD Les Cèdres""#)
        #expect(written(#"a "b" \c"#) == #""a \"b\" \\c""#)
        #expect(written("\"") == #""\"""#)
        #expect(written("ligne 1\nligne 2\r\n\tfin") == #""ligne 1\nligne 2\r\n\tfin""#)
        #expect(written("\u{0}\u{1F}x\u{7F}") == #""\u0000\u001fx"# + "\u{7F}\"")
        #expect(written("€ \\") == #""€ \\""#)
    }

    @Test func everyTextReadsBackAsWritten() async {
        let pieces = ["a", "É", "€", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", " ", "🙂", "xyz"]
        let checked = Checked("chaque texte se relit tel qu'écrit")
        await propertyCheck(count: 400, input: Gen.int(in: 0...(pieces.count - 1)).array(of: 0...40)) { indices in
            let text = indices.map { pieces[$0] }.joined()
            let bytes = JSON.object([("t", .string(text))]).utf8(indent: false)
            #expect((try? JSON.parse(bytes: bytes))?["t"] == .string(text))
            checked.add()
        }
        checked.report(atLeast: 400, of: 400)
    }
}
