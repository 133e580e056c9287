import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Reads an XLSX back for the tests: the sheet names of the workbook and, per sheet, its rows of
/// typed cells (style index, type, value), as a spreadsheet would read them.
struct XLSXBook {
    struct Cell: Equatable {
        let style: String?
        let type: String?
        let value: String
    }

    let sheetNames: [String]
    /// Per sheet name, its rows in order; each row maps a column letter to its cell.
    let sheets: [String: [[String: Cell]]]

    init(_ bytes: [UInt8]) throws {
        let archive = try Archive(data: Data(bytes), accessMode: .read)
        func part(_ path: String) throws -> Data {
            guard let entry = archive[path] else { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            return data
        }
        _ = try part("[Content_Types].xml")
        let names = Collector(try part("xl/workbook.xml")).elements.filter { $0.name == "sheet" }.compactMap { $0.attributes["name"] }
        var sheets: [String: [[String: Cell]]] = [:]
        for (i, name) in names.enumerated() {
            sheets[name] = Collector(try part("xl/worksheets/sheet\(i + 1).xml")).rows
        }
        sheetNames = names
        self.sheets = sheets
    }

    /// A SAX walk collecting elements and the cells of `sheetData`.
    final class Collector: NSObject, XMLParserDelegate {
        struct Element { let name: String; let attributes: [String: String] }
        var elements: [Element] = []
        var rows: [[String: Cell]] = []
        private var cell: (ref: String, style: String?, type: String?)?
        private var text = ""

        init(_ data: Data) {
            super.init()
            let parser = XMLParser(data: data)
            parser.delegate = self
            _ = parser.parse()
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            elements.append(Element(name: name, attributes: attributes))
            switch name {
            case "row": rows.append([:])
            case "c": cell = (attributes["r"] ?? "", attributes["s"], attributes["t"]); text = ""
            case "v", "t": text = ""
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            guard name == "c", let c = cell else { return }
            let column = String(c.ref.prefix { $0.isLetter })
            rows[rows.count - 1][column] = Cell(style: c.style, type: c.type, value: text)
            cell = nil
        }
    }
}
