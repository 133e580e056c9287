import Foundation
import Rules
import Store
import ZIPFoundation

/// A workbook of typed sheets, written as XLSX (Office Open XML SpreadsheetML, ECMA-376) and as the
/// French CSV of its first sheet. The ZIP container is ZIPFoundation's; the XML parts are written
/// here, as no package of the list writes SpreadsheetML. Cells are typed: amounts are numbers
/// with a euro format, dates are date serials with a date format, counts are integers, text is an
/// inline string (never a formula, whatever it starts with).
struct Workbook: Sendable {
    enum Cell: Equatable, Sendable {
        case text(String)
        case integer(Int)
        case euros(Cents)
        case date(CalendarDate)
        /// A rate as a fraction, shown as a percentage with two decimals (not money: a `Double`).
        case percent(Double)
        case empty

        static func text(_ s: String?) -> Cell { s.map(Cell.text) ?? .empty }
    }

    struct Sheet {
        let name: String
        let columns: [String]
        var rows: [[Cell]]
    }

    var sheets: [Sheet]

    // MARK: CSV

    /// The first sheet as French Excel opens it: `;`, decimal comma, dates as JJ/MM/AAAA.
    func csv() -> String {
        guard let sheet = sheets.first else { return "\u{FEFF}" }
        func text(_ cell: Cell) -> String {
            switch cell {
            case let .text(s): return Spreadsheet.cell(s)
            case let .integer(n): return "\(n)"
            case let .euros(c): return CSV.euros(c)
            case let .date(d): return d.french
            case let .percent(v): return UsageReport.percent(v).replacingOccurrences(of: " %", with: "")
            case .empty: return ""
            }
        }
        var out = "\u{FEFF}" + sheet.columns.map(Spreadsheet.cell).joined(separator: ";") + "\r\n"
        for row in sheet.rows { out += row.map(text).joined(separator: ";") + "\r\n" }
        return out
    }

    // MARK: XLSX

    /// The `.xlsx` bytes, built off the event loops (thousands of rows to compress).
    func xlsx() async throws -> Data {
        try await offEventLoop { try xlsxBytes() }
    }

    private func xlsxBytes() throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create)
        func add(_ path: String, _ text: String) throws {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), modificationDate: Self.epoch,
                                 compressionMethod: .deflate, provider: { position, size in
                                     data.subdata(in: Int(position)..<Int(position) + size)
                                 })
        }
        try add("[Content_Types].xml", Self.header + """
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
            <Default Extension="xml" ContentType="application/xml"/>\
            <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
            <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
            \(sheets.indices.map { "<Override PartName=\"/xl/worksheets/sheet\($0 + 1).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>" }.joined())\
            </Types>
            """)
        try add("_rels/.rels", Self.header + """
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
            </Relationships>
            """)
        try add("xl/workbook.xml", Self.header + """
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
            <sheets>\(sheets.enumerated().map { "<sheet name=\"\(Self.escaped($1.name))\" sheetId=\"\($0 + 1)\" r:id=\"rId\($0 + 1)\"/>" }.joined())</sheets>\
            </workbook>
            """)
        try add("xl/_rels/workbook.xml.rels", Self.header + """
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            \(sheets.indices.map { "<Relationship Id=\"rId\($0 + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\($0 + 1).xml\"/>" }.joined())\
            <Relationship Id="rId\(sheets.count + 1)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\
            </Relationships>
            """)
        // Styles: 0 default, 1 header (bold), 2 euros, 3 date (JJ/MM/AAAA), 4 percentage (0.00 %).
        try add("xl/styles.xml", Self.header + """
            <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
            <numFmts count="2"><numFmt numFmtId="164" formatCode="#,##0.00\\ &quot;€&quot;"/><numFmt numFmtId="165" formatCode="dd/mm/yyyy"/></numFmts>\
            <fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
            <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
            <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
            <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
            <cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
            <xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
            <xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
            <xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
            <xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
            </styleSheet>
            """)
        for (i, sheet) in sheets.enumerated() { try add("xl/worksheets/sheet\(i + 1).xml", Self.sheetXML(sheet)) }
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return data
    }

    static let header = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    /// A fixed date for the entries, so that the same workbook gives the same bytes.
    static let epoch = Date(timeIntervalSince1970: 1_577_836_800)

    static func sheetXML(_ sheet: Sheet) -> String {
        let last = column(max(sheet.columns.count, 1) - 1)
        var out = header + "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
            + "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>"
            + "<sheetData><row r=\"1\">"
        out.reserveCapacity(64 + sheet.rows.count * sheet.columns.count * 40)
        for (c, name) in sheet.columns.enumerated() {
            out += "<c r=\"\(column(c))1\" s=\"1\" t=\"inlineStr\"><is><t>\(escaped(name))</t></is></c>"
        }
        out += "</row>"
        for (r, row) in sheet.rows.enumerated() {
            let n = r + 2
            out += "<row r=\"\(n)\">"
            for (c, cell) in row.enumerated() {
                let ref = "\(column(c))\(n)"
                switch cell {
                case let .text(s): out += "<c r=\"\(ref)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(escaped(s))</t></is></c>"
                case let .integer(v): out += "<c r=\"\(ref)\"><v>\(v)</v></c>"
                case let .euros(cents):
                    let rest = cents.magnitude % 100
                    out += "<c r=\"\(ref)\" s=\"2\"><v>\(cents < 0 ? "-" : "")\(cents.magnitude / 100).\(rest < 10 ? "0" : "")\(rest)</v></c>"
                case let .date(d): out += "<c r=\"\(ref)\" s=\"3\"><v>\(serial(d))</v></c>"
                case let .percent(v) where v.isFinite: out += "<c r=\"\(ref)\" s=\"4\"><v>\(v)</v></c>"
                case .percent, .empty: break
                }
            }
            out += "</row>"
        }
        out += "</sheetData><autoFilter ref=\"A1:\(last)\(sheet.rows.count + 1)\"/></worksheet>"
        return out
    }

    /// `0` → `A`, `26` → `AA`.
    static func column(_ index: Int) -> String {
        var n = index + 1, name = ""
        while n > 0 {
            let r = (n - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + r))) + name
            n = (n - 1) / 26
        }
        return name
    }

    /// The spreadsheet's day number of a date (1900 system: 1899-12-30 is day 0).
    static func serial(_ d: CalendarDate) -> Int {
        // Days from civil (Howard Hinnant's algorithm), then shifted to 1899-12-30.
        let y = d.month <= 2 ? d.year - 1 : d.year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (d.month + 9) % 12
        let doy = (153 * mp + 2) / 5 + d.day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468 + 25_569
    }

    /// XML text: the five entities escaped, and the characters XML 1.0 forbids dropped.
    static func escaped(_ s: String) -> String { XMLText.escaped(s) }
}
