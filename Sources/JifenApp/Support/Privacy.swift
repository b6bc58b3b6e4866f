import Crypto
import Fluent
import Foundation
import JifenCore
import Vapor

/// Sensitive personal data (PIPL): resident ID numbers and minors' data are stored encrypted
/// (AES-GCM under a key derived from JIFEN_SECRET_KEY), found by a keyed hash, shown masked,
/// and every full view is written to the access log.
struct PersonalData: Sendable {
    let encryptionKey: SymmetricKey
    let keys: Keys

    init(keys: Keys) {
        self.keys = keys
        encryptionKey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data("personal-data-encryption".utf8), using: keys.master))
    }

    /// base64(nonce | ciphertext | tag); a fresh nonce each time, so equal values do not look equal.
    func seal(_ text: String) throws -> String {
        try AES.GCM.seal(Data(text.utf8), using: encryptionKey).combined!.base64EncodedString()
    }

    func open(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else { throw Abort(.internalServerError, reason: "sealed value is not base64") }
        return String(decoding: try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: encryptionKey), as: UTF8.self)
    }

    /// The keyed hash an ID number is looked up by (equal numbers, equal hashes; useless without the key).
    func lookupHash(_ idNumber: String) -> String { keys.mac("id-lookup", idNumber.uppercased()) }
}

extension Application {
    var personalData: PersonalData { PersonalData(keys: keys) }

    private struct RegionsKey: StorageKey { typealias Value = RegionCodes }
    /// The GB/T 2260 list, read once at configuration.
    var regions: RegionCodes {
        get { storage[RegionsKey.self] ?? RegionCodes(tsv: "") }
        set { storage[RegionsKey.self] = newValue }
    }
}

extension Request {
    /// Checks a typed resident ID number; a problem goes beside `field` in the form, in words
    /// that name the field. The number itself is never put back into the form.
    func validateIDNumber(_ raw: String?, into form: inout FormState, field: String = "idNumber") -> ResidentID? {
        let number = (raw ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        switch ResidentID.validate(number, today: ShanghaiDate.today(now), regions: application.regions) {
        case .success(let id): return id
        case .failure(let problem):
            form.fail(field, text("field_idNumber") + "：" + problem.description)
            return nil
        }
    }

    /// Writes one access-log entry: `field` of `entity` `id` was seen (or searched) in full.
    func logAccess(entity: String, id: String, field: String) async throws {
        let user = try requireUser()
        let entry = AccessLogEntry()
        entry.at = now
        entry.actorID = user.id
        entry.actorLogin = user.role == .citizen ? Mask.phone(user.login) : user.login
        entry.role = user.role.rawValue
        entry.entity = entity
        entry.entityID = id
        entry.field = field
        entry.purpose = route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? url.path
        entry.address = clientAddress
        try await entry.create(on: db)
    }
}

extension Request {
    /// Opens a sealed value for display in full and writes the access log entry first.
    func reveal(_ sealed: String, entity: String, id: String, field: String) async throws -> String {
        try await logAccess(entity: entity, id: id, field: field)
        return try application.personalData.open(sealed)
    }
}

/// Uploaded files (feed files, evidence scans) hold ID numbers and pictures of papers: they are
/// stored sealed with the personal-data key, named by a keyed hash of their content, so the
/// same file twice is one file and nothing on disk can be read or recognised without the key.
struct SealedFiles: Sendable {
    let directory: String
    let data: PersonalData

    init(_ app: Application, folder: String) {
        directory = (app.jifenConfig.dataDirectory as NSString).appendingPathComponent(folder) + "/"
        data = app.personalData
    }

    /// The stored name of content whose SHA-256 is `sha256` (hex).
    func name(sha256: String) -> String { data.keys.mac("stored-file", sha256) }

    /// Stores `bytes` (written aside and moved into place, so a reader never sees half a file);
    /// returns the stored name.
    @discardableResult
    func store(_ bytes: [UInt8], sha256: String) throws -> String {
        let name = name(sha256: sha256)
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if fm.fileExists(atPath: directory + name) { return name }
        let sealed = try AES.GCM.seal(Data(bytes), using: data.encryptionKey).combined!
        let temporary = directory + name + ".part-" + UUID().uuidString
        guard fm.createFile(atPath: temporary, contents: sealed, attributes: [.posixPermissions: 0o600]) else {
            throw Abort(.internalServerError, reason: "cannot store a file")
        }
        if (try? fm.moveItem(atPath: temporary, toPath: directory + name)) == nil { try? fm.removeItem(atPath: temporary) }
        return name
    }

    func read(_ name: String) throws -> Data? {
        guard !name.contains("/"), let sealed = FileManager.default.contents(atPath: directory + name) else { return nil }
        return try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: data.encryptionKey)
    }
}
