import Rules
import Store

/// The « Paiements » section of an accepted dossier's page (`Templates/payments.mustache`): each
/// instalment with its amount, status and what blocks it, said in words with its rule and marked
/// ✓ / ✗ (never by colour alone); the forms of the side the viewer takes.
struct PaymentsSection {
    let action: String
    let fileAction: String
    let version: Int
    let granted: String
    let lines: [Line]
    let conventions: [Convention]
    let late: String?
    let followUp: [String]
    let deadlineHistory: [String]
    /// Forms: nil or empty where the viewer's side may not.
    let conventionKinds: [Option]
    let orders: [OrderForm]
    let validations: [Instalment]
    let cancellations: [Instalment]
    let deadline: String?
    let acceptExpenses: Bool
    let declareExpenses: Bool
    let followUpForms: Bool

    struct Line {
        let label: String
        let amount: String
        let status: String
        let conditions: [Condition]
        let order: String?
    }

    struct Condition {
        let mark: String
        let met: Bool
        let text: String
    }

    struct Convention {
        let text: String
        let href: String
        let filename: String
    }

    struct OrderForm {
        let instalment: String
        let label: String
        let amount: String
        let amountValue: String
    }

    struct Instalment {
        let instalment: String
        let label: String
    }

    static func conditionLabel(_ condition: String) -> String {
        switch condition {
        case "conventionFinancement": return "Convention de financement"
        case "conventionPartenariat": return "Convention de partenariat"
        case "avance": return "Avance ordonnée"
        case "expenses": return "Dépenses (condition 3)"
        default: return Indicator(rawValue: condition).map { "Taux « \($0.french) »" } ?? condition
        }
    }

    init(dossier d: Dossier, _ p: DossierRepository.Payments, documents: [DossierRepository.Document], history: [JSON], sides: Set<DossierSide>, viewer: String) {
        action = SiteURL.dossierPayments(d.id).path
        fileAction = SiteURL.dossierPaymentFiles(d.id).path
        version = d.version
        granted = Money.format(p.schedule.granted)
        let instructor = sides.contains(.instructeur), porteur = sides.contains(.porteur)
        lines = p.schedule.lines.map { l in
            let order = l.order.map { o in
                "Ordre \(o.reference) du \(o.orderedAt.french), proposé par \(o.proposedBy)" + (o.validatedBy.map { ", validé par \($0)" } ?? ", à valider par un second instructeur")
            }
            return Line(label: l.instalment.french, amount: Money.format(l.amount), status: Show.sentenceCase(l.status.french),
                        conditions: l.conditions.map { c in
                            Condition(mark: c.met ? "✓" : "✗", met: c.met, text: "\(Self.conditionLabel(c.condition)) (\(c.rule.rawValue)) : \(c.detail)")
                        }, order: order ?? p.cancellations[l.instalment].map { "Annulé : \($0)" })
        }
        conventions = p.conventions.map { c in
            Convention(text: "Convention de \(c.kind.rawValue) signée le \(c.signedAt.french), enregistrée par \(c.recordedBy)",
                       href: SiteURL.dossierDocument(d.id, document: c.document).path, filename: documents.first { $0.id == c.document }?.filename ?? c.document)
        }
        let solde = p.schedule[.solde]
        late = p.late ? solde.deadline.map { "En retard : l'échéance du \($0.french) est passée et les conditions du solde ne sont pas toutes remplies ; l'ARS décide (P3)." } : nil
        var facts: [String] = []
        if let deadline = solde.deadline { facts.append("Échéance des cibles : \(deadline.french)\(solde.deadlineRevised ? " (révisée par l'ARS)" : "") (P3)") }
        facts.append(p.followUp.vsrDate.map { "VSR le \($0.french) : les mesures comptent à partir du mois suivant" } ?? "VSR non renseignée")
        let fromRecords = p.origins.values.filter { $0 == "records" }.count
        facts.append("Établissements mesurés : \(p.measured)" + (fromRecords > 0 ? ", dont \(fromRecords) par leurs dossiers DUI sur la plateforme (sans envoi de fichier)" : ""))
        if let expenses = p.followUp.expenses {
            facts.append("Dépenses déclarées : \(Money.format(expenses))" + (p.followUp.expensesAccepted ? ", acceptées par l'ARS : \(p.followUp.expensesMotivation ?? "")" : ""))
        }
        followUp = facts
        deadlineHistory = history.map { h in
            func text(_ key: String) -> String { if case let .string(s)? = h[key] { return s } else { return "" } }
            return "Le \(FrenchTime.dateTime(text("at"))), \(text("by")) : \(CalendarDate(iso: text("previous"))?.french ?? "") → \(CalendarDate(iso: text("deadline"))?.french ?? "") — \(text("motivation"))"
        }
        let open = d.state == .accepte
        conventionKinds = instructor && open && p.schedule[.avance].order == nil
            ? DossierRepository.ConventionKind.allCases.filter { kind in kind == .financement || p.schedule[.avance].conditions.contains { $0.condition == kind.condition } }
                .map { Option($0.rawValue, $0 == .financement ? "Convention de financement ARS–porteur" : "Convention de partenariat entre les OG") }
            : []
        orders = instructor && open ? p.schedule.lines.filter { $0.status == .exigible }.map { l in
            OrderForm(instalment: l.instalment.rawValue, label: l.instalment.french, amount: Money.format(l.amount), amountValue: JSON.euros(l.amount).rendered(indent: false))
        } : []
        validations = instructor && open ? p.schedule.lines.filter { $0.status == .propose && $0.order?.proposedBy != viewer }.map {
            Instalment(instalment: $0.instalment.rawValue, label: $0.instalment.french)
        } : []
        cancellations = instructor && open ? p.schedule.lines.filter { $0.status != .ordonne && $0.status != .annule }.map {
            Instalment(instalment: $0.instalment.rawValue, label: $0.instalment.french)
        } : []
        deadline = instructor && open ? solde.deadline?.description : nil
        acceptExpenses = instructor && open && p.followUp.expenses != nil && !p.followUp.expensesAccepted
            && solde.conditions.contains { $0.condition == "expenses" && !$0.met }
        declareExpenses = porteur && open
        followUpForms = (porteur || instructor) && open
    }
}
