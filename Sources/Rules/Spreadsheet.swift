/// Cells of the spreadsheets we export (CSV now, XLSX through the same rule), as French Excel
/// opens them: `;`-separated, quoted when needed.
public enum Spreadsheet {
    /// OWASP's CSV-injection rule: a text a spreadsheet would run as a formula (it begins with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return) starts with an apostrophe, so it is shown as text.
    public static func neutralised(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) else { return text }
        return "'" + text
    }

    /// A text cell: neutralised, then quoted when it holds `;`, `"` or a line end.
    public static func cell(_ text: String) -> String {
        let s = neutralised(text)
        return s.contains(where: { $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
