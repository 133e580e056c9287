import NIOCore
import NIOPosix
import NIOSSL

/// Where the MSSanté operator's server listens: `smtp://host:port` (STARTTLS when the server offers
/// it) or `smtps://host:port` (TLS from the first byte).
public struct SMTPEndpoint: Sendable, Equatable {
    public enum Security: String, Sendable { case startTLS = "smtp", implicitTLS = "smtps" }
    public let host: String
    public let port: Int
    public let security: Security

    public init(host: String, port: Int, security: Security) {
        self.host = host; self.port = port; self.security = security
    }

    /// `smtp://host[:port]` (port 25 by default) or `smtps://host[:port]` (465); nil for anything else.
    public init?(url: String) {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let security = Security(rawValue: parts[0].lowercased()) else { return nil }
        var authority = String(parts[1])
        if authority.hasSuffix("/") { authority.removeLast() }
        var host = authority, port = security == .startTLS ? 25 : 465
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            host = String(authority[..<colon]); port = p
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains("/"), !host.contains("@") else { return nil }
        self.init(host: host, port: port, security: security)
    }
}

/// The TLS side: the certificate authorities trusted for the server (the system's when nil) and the
/// client certificate and key (an IGC-Santé certificate), all PEM files.
public struct SMTPTLS: Sendable {
    public var trustRoots: String?
    public var certificate: String?
    public var key: String?

    public init(trustRoots: String? = nil, certificate: String? = nil, key: String? = nil) {
        self.trustRoots = trustRoots; self.certificate = certificate; self.key = key
    }

    func context() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let trustRoots { configuration.trustRoots = .file(trustRoots) }
        if let certificate, let key {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        return try NIOSSLContext(configuration: configuration)
    }
}

/// A reply of the server: its code and its lines.
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public let code: Int
    public let lines: [String]
    public var description: String { "\(code) " + lines.joined(separator: " ") }
}

/// Why a message was not accepted. A permanent failure (a 5xx reply) is not retried.
public enum SMTPError: Error, Sendable, CustomStringConvertible {
    case connection(String)
    case rejected(stage: String, reply: SMTPReply)
    case protocolViolation(String)

    public var isPermanent: Bool {
        if case let .rejected(_, reply) = self { return reply.code >= 500 }
        return false
    }

    public var description: String {
        switch self {
        case let .connection(why): return "connexion au serveur MSSanté impossible : \(why)"
        case let .rejected(stage, reply): return "refus du serveur MSSanté à l'étape \(stage) : \(reply)"
        case let .protocolViolation(why): return "échange SMTP interrompu : \(why)"
        }
    }
}

/// A small SMTP client (RFC 5321) on SwiftNIO: EHLO, STARTTLS when offered (or TLS from the start),
/// the client certificate when configured, one message to one recipient.
public struct SMTPClient: Sendable {
    public let endpoint: SMTPEndpoint
    public let tls: SMTPTLS
    /// The name this client gives in EHLO.
    public let heloName: String
    /// How long each reply of the server may take.
    public let replyTimeout: TimeAmount

    public init(endpoint: SMTPEndpoint, tls: SMTPTLS = SMTPTLS(), heloName: String = "esms.localhost", replyTimeout: TimeAmount = .seconds(30)) {
        self.endpoint = endpoint; self.tls = tls; self.heloName = heloName; self.replyTimeout = replyTimeout
    }

    /// Sends the message; returns the server's reply to the end of DATA (the message accepted).
    public func send(_ message: MailMessage, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> SMTPReply {
        let sslContext: NIOSSLContext
        do { sslContext = try tls.context() } catch { throw SMTPError.connection("certificats TLS illisibles (\(error))") }
        let serverName = endpoint.host.contains(":") || endpoint.host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : endpoint.host
        let replies = SMTPReplies(timeout: replyTimeout)
        let implicit = endpoint.security == .implicitTLS
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if implicit { try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName)) }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        try channel.pipeline.syncOperations.addHandler(replies)
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            throw SMTPError.connection("\(endpoint.host):\(endpoint.port) (\(error))")
        }
        do {
            let reply = try await exchange(channel, replies, message, sslContext: sslContext, serverName: serverName)
            _ = try? await command("QUIT", on: channel, replies, expecting: 221...221)
            try? await channel.close()
            return reply
        } catch {
            try? await channel.close()
            if let error = error as? SMTPError { throw error }
            throw SMTPError.protocolViolation("\(error)")
        }
    }

    private func exchange(_ channel: any Channel, _ replies: SMTPReplies, _ message: MailMessage, sslContext: NIOSSLContext, serverName: String?) async throws -> SMTPReply {
        try check(try await replies.next(on: channel), stage: "accueil", expecting: 220...220)
        var hello = try await command("EHLO \(heloName)", on: channel, replies, expecting: 250...250)
        if endpoint.security == .startTLS {
            if hello.lines.dropFirst().contains(where: { $0.uppercased() == "STARTTLS" }) {
                _ = try await command("STARTTLS", on: channel, replies, expecting: 220...220)
                try await channel.pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName), position: .first).get()
                hello = try await command("EHLO \(heloName)", on: channel, replies, expecting: 250...250)
            } else if tls.certificate != nil {
                // A client certificate means the operator expects TLS: never send health data in clear.
                throw SMTPError.protocolViolation("le serveur ne propose pas STARTTLS alors qu'un certificat client est configuré")
            }
        }
        _ = try await command("MAIL FROM:<\(message.from)>", on: channel, replies, expecting: 250...250)
        _ = try await command("RCPT TO:<\(message.to)>", on: channel, replies, expecting: 250...251)
        _ = try await command("DATA", on: channel, replies, expecting: 354...354)
        try await channel.writeAndFlush(ByteBuffer(string: MailMessage.dotStuffed(message.rendered()) + ".\r\n")).get()
        return try check(try await replies.next(on: channel), stage: "fin du message", expecting: 250...250)
    }

    private func command(_ line: String, on channel: any Channel, _ replies: SMTPReplies, expecting codes: ClosedRange<Int>) async throws -> SMTPReply {
        try await channel.writeAndFlush(ByteBuffer(string: line + "\r\n")).get()
        return try check(try await replies.next(on: channel), stage: String(line.prefix(while: { $0 != " " && $0 != ":" })), expecting: codes)
    }

    @discardableResult
    private func check(_ reply: SMTPReply, stage: String, expecting codes: ClosedRange<Int>) throws -> SMTPReply {
        guard codes.contains(reply.code) else { throw SMTPError.rejected(stage: stage, reply: reply) }
        return reply
    }
}

/// Reads the server's replies, multi-line ones (`250-…` then `250 …`) as one.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply
    private var lines: [String] = []

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let end = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 4096 { throw SMTPError.protocolViolation("ligne de réponse trop longue") }
            return .needMoreData
        }
        var bytes = buffer.readBytes(length: view.distance(from: view.startIndex, to: end) + 1) ?? []
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        let line = String(decoding: bytes, as: UTF8.self)
        guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200...599).contains(code) else {
            throw SMTPError.protocolViolation("réponse illisible « \(line.prefix(80)) »")
        }
        lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        if bytes.count > 3, bytes[3] == UInt8(ascii: "-") { return .continue }
        context.fireChannelRead(wrapInboundOut(SMTPReply(code: code, lines: lines)))
        lines = []
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// The replies as they come, handed to whoever waits for the next one; every access on the
/// channel's event loop.
final class SMTPReplies: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = SMTPReply
    private var arrived = CircularBuffer<SMTPReply>()
    private var waiting = CircularBuffer<EventLoopPromise<SMTPReply>>()
    private var failure: SMTPError?
    private let timeout: TimeAmount

    init(timeout: TimeAmount) { self.timeout = timeout }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        if let promise = waiting.popFirst() { promise.succeed(reply) } else { arrived.append(reply) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error as? SMTPError ?? .protocolViolation("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.protocolViolation("le serveur a fermé la connexion"))
        context.fireChannelInactive()
    }

    private func fail(_ error: SMTPError) {
        if failure == nil { failure = error }
        while let promise = waiting.popFirst() { promise.fail(error) }
    }

    func next(on channel: any Channel) async throws -> SMTPReply {
        let loop = channel.eventLoop
        return try await loop.flatSubmit { () -> EventLoopFuture<SMTPReply> in
            if let reply = self.arrived.popFirst() { return loop.makeSucceededFuture(reply) }
            if let failure = self.failure { return loop.makeFailedFuture(failure) }
            let promise = loop.makePromise(of: SMTPReply.self)
            self.waiting.append(promise)
            let timer = loop.scheduleTask(in: self.timeout) {
                promise.fail(SMTPError.protocolViolation("pas de réponse du serveur"))
                channel.close(promise: nil)
            }
            promise.futureResult.whenComplete { _ in timer.cancel() }
            return promise.futureResult
        }.get()
    }
}
