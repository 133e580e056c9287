import Foundation

/// A MIME message (RFC 5322, 2045–2047): a plain-text body in UTF-8 and attachments, each base64.
public struct MailMessage: Sendable {
    public struct Attachment: Sendable {
        public let filename: String
        public let contentType: String
        public let data: [UInt8]
        public init(filename: String, contentType: String, data: [UInt8]) {
            self.filename = filename; self.contentType = contentType; self.data = data
        }
    }

    public let from: String
    public let to: String
    public let subject: String
    public let body: String
    public let attachments: [Attachment]
    /// Further header fields (the `X-MSS-…` of the MSSanté client conventions), ASCII.
    public let headers: [(String, String)]
    /// The Message-ID's left part, unique per sending (so a retried sending keeps its identifier).
    public let id: String
    public let date: Date

    public init(id: String, from: String, to: String, subject: String, body: String, attachments: [Attachment],
                headers: [(String, String)] = [], date: Date = Date()) {
        self.id = id; self.from = from; self.to = to; self.subject = subject; self.body = body
        self.attachments = attachments; self.headers = headers; self.date = date
    }

    /// An address the platform sends to: `local@domain`, ASCII, no space nor angle bracket, at
    /// most 254 characters (RFC 5321).
    public static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard text.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else { return false }
        let allowedLocal = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+-/=?^_`{|}~")
        let allowedDomain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
        return parts[0].allSatisfy(allowedLocal.contains) && parts[1].allSatisfy(allowedDomain.contains)
    }

    /// The message as sent after DATA, lines ending in CRLF.
    public func rendered() -> String {
        let boundary = "esms-\(id)"
        var lines = [
            "From: <\(from)>",
            "To: <\(to)>",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(Self.rfc5322(date))",
            "Message-ID: <\(id)@esms>",
            "MIME-Version: 1.0",
        ]
        lines += headers.map { "\($0.0): \($0.1)" }
        lines += [
            "Content-Type: multipart/mixed; boundary=\"\(boundary)\"",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
        ]
        lines += Self.base64Lines(Array(body.utf8))
        for attachment in attachments {
            let name = attachment.filename.filter { $0.isASCII && $0 != "\"" && $0 != "\\" && !$0.isNewline }
            lines += [
                "--\(boundary)",
                "Content-Type: \(attachment.contentType); name=\"\(name)\"",
                "Content-Disposition: attachment; filename=\"\(name)\"",
                "Content-Transfer-Encoding: base64",
                "",
            ]
            lines += Self.base64Lines(attachment.data)
        }
        lines.append("--\(boundary)--")
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// A line starting with a dot gets another (RFC 5321 §4.5.2), so that no line ends the data early.
    static func dotStuffed(_ text: String) -> String {
        text.split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
            .joined(separator: "\r\n")
    }

    /// An ASCII subject as is; any other as RFC 2047 encoded words of UTF-8 in base64, each short
    /// enough for a header line, never splitting a character.
    static func encodedWord(_ text: String) -> String {
        let clean = text.map { $0.isNewline ? " " : String($0) }.joined()
        if clean.allSatisfy({ $0.isASCII }) { return clean }
        var words: [String] = [], chunk: [UInt8] = []
        for character in clean {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let encoded = Data(bytes).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return encoded.isEmpty ? [""] : encoded.components(separatedBy: "\r\n")
    }

    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
