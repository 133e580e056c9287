import Foundation

/// A CDA R2 level 1 document for the DMP (`dui.md`, « MSSanté and the DMP »): the PDF in a
/// non-XML body, the patient identified by the INS of a `qualifiee` identity (NIR and its OID),
/// the author and the establishment (FINESS ET). Written by hand: the document is a fixed
/// envelope around escaped values, and no package of the list writes CDA.
public enum CDA {
    public struct Document: Sendable {
        public let id: String
        public let title: String
        public let date: CalendarDate
        public let nir: String
        public let insOID: String
        public let birthName: String
        public let firstNames: [String]
        public let birthDate: CalendarDate
        public let sex: String
        public let author: String
        public let finessET: String
        public let establishment: String
        public let pdf: [UInt8]

        public init(id: String, title: String, date: CalendarDate, nir: String, insOID: String, birthName: String, firstNames: [String], birthDate: CalendarDate,
                    sex: String, author: String, finessET: String, establishment: String, pdf: [UInt8]) {
            self.id = id; self.title = title; self.date = date; self.nir = nir; self.insOID = insOID; self.birthName = birthName
            self.firstNames = firstNames; self.birthDate = birthDate; self.sex = sex; self.author = author; self.finessET = finessET
            self.establishment = establishment; self.pdf = pdf
        }
    }

    static func escaped(_ s: String) -> String { XMLText.escaped(s) }

    static func day(_ d: CalendarDate) -> String { d.description.replacingOccurrences(of: "-", with: "") }

    /// The XML of the document.
    public static func xml(_ d: Document) -> String {
        let given = d.firstNames.map { "<given>\(escaped($0))</given>" }.joined()
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
            <realmCode code="FR"/>
            <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
            <templateId root="1.2.250.1.213.1.1.1.1"/>
            <id root="1.2.250.1.213.1.1.9" extension="\(escaped(d.id))"/>
            <code code="11488-4" codeSystem="2.16.840.1.113883.6.1" displayName="Note de consultation"/>
            <title>\(escaped(d.title))</title>
            <effectiveTime value="\(day(d.date))"/>
            <confidentialityCode code="N" codeSystem="2.16.840.1.113883.5.25"/>
            <languageCode code="fr-FR"/>
            <recordTarget><patientRole>
            <id root="\(escaped(d.insOID))" extension="\(escaped(d.nir))"/>
            <patient><name><family qualifier="BR">\(escaped(d.birthName))</family>\(given)</name>
            <administrativeGenderCode code="\(escaped(d.sex))" codeSystem="2.16.840.1.113883.5.1"/>
            <birthTime value="\(day(d.birthDate))"/></patient>
            </patientRole></recordTarget>
            <author><time value="\(day(d.date))"/><assignedAuthor><id nullFlavor="UNK"/>
            <assignedPerson><name><family>\(escaped(d.author))</family></name></assignedPerson>
            <representedOrganization><id root="1.2.250.1.71.4.2.2" extension="1\(escaped(d.finessET))"/><name>\(escaped(d.establishment))</name></representedOrganization>
            </assignedAuthor></author>
            <custodian><assignedCustodian><representedCustodianOrganization><id root="1.2.250.1.213.4.1" extension="DMP"/></representedCustodianOrganization></assignedCustodian></custodian>
            <component><nonXMLBody><text mediaType="application/pdf" representation="B64">\(Data(d.pdf).base64EncodedString())</text></nonXMLBody></component>
            </ClinicalDocument>

            """
    }
}

/// Text and attribute values in XML 1.0: the five characters escaped, the control characters XML
/// cannot carry left out (the CDA documents, the XLSX parts).
public enum XMLText {
    public static func escaped(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case let c where c.value < 0x20 || (0xFFFE...0xFFFF).contains(c.value): continue
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
