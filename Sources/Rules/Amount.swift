/// Amounts of euros read from outside, strictly: ASCII digits, no sign, no exponent, no leading
/// zero, at most two decimals. Nothing else becomes money.
public enum Amount {
    /// Euros to cents. `decimalSeparators`: the characters that may stand before the decimals;
    /// `groupSeparators`: those that may split the units in groups of three (`12 000`).
    /// `nil` when the text is not such a number or is beyond `Int` (never traps).
    public static func cents(_ text: String, decimalSeparators: Set<Character>, groupSeparators: Set<Character>) -> Cents? {
        var units: [Character] = []
        var decimals: [Character]? = nil
        var groups: [Int] = [0]
        for c in text {
            if decimals != nil {
                guard c.isASCII, c.isWholeNumber else { return nil }
                decimals!.append(c)
            } else if c.isASCII, c.isWholeNumber {
                units.append(c)
                groups[groups.count - 1] += 1
            } else if decimalSeparators.contains(c) {
                decimals = []
            } else if groupSeparators.contains(c) {
                groups.append(0)
            } else {
                return nil
            }
        }
        guard !units.isEmpty, units.count <= 15 else { return nil }
        if units.count > 1, units.first == "0" { return nil }
        // Groups: the first of 1 to 3 digits, every other of exactly 3.
        if groups.count > 1 {
            guard (1...3).contains(groups[0]), groups.dropFirst().allSatisfy({ $0 == 3 }) else { return nil }
        }
        if let decimals { guard (1...2).contains(decimals.count) else { return nil } }
        guard let whole = Int(String(units)) else { return nil }
        let fraction = decimals.map { d in Int(String(d))! * (d.count == 1 ? 10 : 1) } ?? 0
        return whole * 100 + fraction
    }

    /// What a form field of euros takes: French (`12 000,50`) or English (`12000.50`) decimals,
    /// spaces (also non-breaking) between groups of three, an optional `€` at the end; at most
    /// `limit` cents. The error is a French sentence quoting the value.
    public static func formEuros(_ raw: String, limit: Cents) -> Result<Cents, AmountError> {
        var text = Substring(raw)
        while let c = text.first, c.isWhitespace { text.removeFirst() }
        while let c = text.last, c.isWhitespace { text.removeLast() }
        if text.last == "€" {
            text.removeLast()
            while let c = text.last, c.isWhitespace { text.removeLast() }
        }
        guard let cents = cents(String(text), decimalSeparators: [",", "."], groupSeparators: [" ", "\u{00A0}", "\u{202F}"]) else {
            return .failure(AmountError(value: raw, reason: "montant en euros attendu, par exemple 12 000,50 ou 12000.50 (chiffres, au plus deux décimales, sans signe)"))
        }
        guard cents <= limit else {
            return .failure(AmountError(value: raw, reason: "montant supérieur au maximum admis (\(Money.format(limit)))"))
        }
        return .success(cents)
    }
}

public struct AmountError: Error, Sendable, Equatable, CustomStringConvertible {
    public let value: String
    public let reason: String
    public var description: String { "« \(Limits.quote(value)) » : \(reason)" }
}
