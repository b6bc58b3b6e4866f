import Fluent
import JifenCore
import SQLKit
import Vapor

/// Offers and the waitlist (录取确认与候补): where a program makes offers, each family placed by a
/// final round confirms or declines within the program's days; silence counts as the program
/// says. A declined seat goes down the waitlist at once (`Waitlist`), each family that moves is
/// texted, and the moves are the addendum to the publicity. After the waitlist closes a declined
/// seat stays free for the second round.
struct OfferService: WorkflowService {
    let app: Application
    let db: any Database
    let now: Date
    let actor: Actor
    let logger: Logger

    /// Opens the offers of a round being finalized (inside its transaction): every placed family
    /// is pending until the due day, and texted.
    func open(_ program: Program, round: AllocationRound) async throws {
        guard let days = program.offerDays, program.kind.isSchool else { return }
        let due = today.adding(days: days)
        let placed = try await AllocationResult.query(on: db).filter(\.$round.$id == round.requireID()).filter(\.$schoolCode != nil).with(\.$application) { $0.with(\.$resident) }.all()
        guard !placed.isEmpty else { return }
        try await AllocationResult.query(on: db).filter(\.$round.$id == round.requireID()).filter(\.$schoolCode != nil)
            .set(\.$offer, to: .pending).set(\.$offerDue, to: due).update()
        let names = try await program.schoolNames(on: db)
        let texts = placed.map { row in
            (row.application.resident, text("sms_offer_open", ["program": program.title, "school": names[row.schoolCode ?? ""] ?? row.schoolCode ?? "", "date": ShanghaiDate.long(due)]))
        }
        try await PointsService(app: app, db: db, now: now, actor: actor, logger: logger).notify(texts, kind: "offer")
    }

    enum Answer: String, Sendable { case accept, decline }
    enum Refusal: Error, Equatable { case notPending, overdue }

    /// The family's answer to its offer: a decline moves the waitlist at once. Returns the moves
    /// (the decliner's own line first), empty for a confirmation.
    func answer(_ result: AllocationResult, _ answer: Answer) async throws -> Result<[WaitlistMove], Refusal> {
        let roundID = result.$round.id
        return try await db.transaction { db in
            // A write first: PostgreSQL locks the round's row, SQLite takes its write lock, so
            // two declines of one round move the waitlist one after the other.
            try await AllocationRound.lock(roundID, on: db)
            guard let current = try await AllocationResult.find(result.requireID(), on: db), current.offer == .pending else { return .failure(.notPending) }
            guard let due = current.offerDue, today <= due else { return .failure(.overdue) }
            let service = self.on(db)
            if answer == .accept {
                current.offer = .accepted
                current.offerAnsweredAt = now
                try await current.save(on: db)
                try await Audit.record("acceptOffer", entity: "application", id: current.number, after: ["school": current.schoolCode ?? ""], by: actor, at: now, on: db)
                return .success([])
            }
            return .success(try await service.decline(current, bySilence: false))
        }
    }

    /// Pending offers whose days have run out are taken as the program says (a decline moves the
    /// waitlist). Returns how many.
    @discardableResult
    func lapse() async throws -> Int {
        let overdue = try await AllocationResult.query(on: db).filter(\.$offer == .pending).filter(\.$offerDue < today).all()
        var count = 0
        for row in overdue {
            let taken = try await db.transaction { db -> Bool in
                try await AllocationRound.lock(row.$round.id, on: db)
                guard let current = try await AllocationResult.find(row.requireID(), on: db), current.offer == .pending else { return false }
                let round = try await current.$round.get(on: db)
                let program = try await round.$program.get(on: db)
                if program.offerSilence == .decline {
                    _ = try await self.on(db).decline(current, bySilence: true)
                } else {
                    current.offer = .acceptedBySilence
                    current.offerAnsweredAt = now
                    try await current.save(on: db)
                }
                return true
            }
            if taken { count += 1 }
        }
        return count
    }

    /// Declines `declined` (in the round's lock) and moves the waitlist.
    private func decline(_ declined: AllocationResult, bySilence: Bool) async throws -> [WaitlistMove] {
        let round = try await declined.$round.get(on: db)
        let program = try await round.$program.get(on: db)
        let rows = try await AllocationResult.query(on: db).filter(\.$round.$id == round.requireID()).sort(\.$rank).all()
        let applications = try await ServiceApplication.query(on: db).filter(\.$id ~~ rows.map(\.$application.id)).with(\.$resident).all()
        try await ServiceApplication.loadRankings(applications, on: db)
        let byID = Dictionary(uniqueKeysWithValues: applications.map { ($0.id!, $0) })
        let schools = try await RoundSchool.query(on: db).filter(\.$round.$id == round.requireID()).all()
        let codes = schools.map(\.schoolCode).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let index = Dictionary(uniqueKeysWithValues: codes.enumerated().map { ($1, Int32($0)) })
        // Each one's list in that round: round 1 his ranking; round 2 his new ranking, or the
        // schools of his town the run tried him at (its trace).
        let traced = round.round > 1 ? try await round.traces(on: db).mapValues { $0.map(\.schoolCode) } : [:]
        let preferences: [[Int32]] = rows.map { row in
            guard let a = byID[row.$application.id] else { return [] }
            let list = round.round == 1 ? a.schoolCodes : (a.schools(round: 2).isEmpty ? traced[a.number] ?? [] : a.schools(round: 2))
            return list.compactMap { index[$0] }
        }
        var list = Waitlist(order: Array(rows.indices), preferences: preferences,
                            assignment: rows.map { $0.schoolCode.flatMap { index[$0] } ?? -1 }, declined: rows.map { $0.offer?.isDecline ?? false })
        guard let d = rows.firstIndex(where: { $0.id == declined.id }) else { return [] }
        let fill = program.waitlistCloses.map { today <= $0 } ?? false
        let moves = list.decline(d, fill: fill)
        let names = try await program.schoolNames(on: db)
        func name(_ s: Int32) -> String? { s >= 0 ? codes[Int(s)] : nil }
        var saved: [WaitlistMove] = []
        var texts: [(Resident, String)] = []
        let due = program.offerDays.map { today.adding(days: $0) }
        for (position, move) in moves.enumerated() {
            let row = rows[move.applicant]
            row.schoolCode = name(move.to)
            row.qualified = move.to >= 0
            if position == 0 {
                row.offer = bySilence ? .declinedBySilence : .declined
                row.offerAnsweredAt = now
            } else if row.offer != .accepted && row.offer != .acceptedBySilence {
                // A family moved up its own list answers again for the new seat.
                row.offer = .pending
                row.offerDue = due
            }
            try await row.save(on: db)
            let line = WaitlistMove()
            line.$round.id = try round.requireID()
            line.at = now
            line.position = position
            line.declinedNumber = declined.number
            line.number = row.number
            line.nameMasked = row.nameMasked
            line.schoolBefore = name(move.from)
            line.schoolAfter = name(move.to)
            try await line.create(on: db)
            saved.append(line)
            guard let resident = byID[row.$application.id]?.resident else { continue }
            func school(_ s: Int32) -> String { name(s).map { names[$0] ?? $0 } ?? "" }
            if position == 0 {
                texts.append((resident, text(bySilence ? "sms_offer_lapsed" : "sms_offer_declined", ["program": program.title, "school": school(move.from)])))
            } else {
                let answer = row.offer == .pending ? text("sms_offer_answer_by", ["date": due.map(ShanghaiDate.long) ?? ""]) : ""
                texts.append((resident, text("sms_waitlist_moved", ["program": program.title, "school": school(move.to), "answer": answer])))
            }
        }
        // The round's counts follow the seats as they are held now.
        for school in schools {
            let held = Int32(index[school.schoolCode] ?? -1)
            let admitted = list.assignment.filter { $0 == held }.count
            if school.admitted != admitted {
                school.admitted = admitted
                try await school.save(on: db)
            }
        }
        try await PointsService(app: app, db: db, now: now, actor: actor, logger: logger).notify(texts, kind: "waitlist")
        try await Audit.record(bySilence ? "offerLapsed" : "declineOffer", entity: "application", id: declined.number,
                               after: ["school": name(moves.first?.from ?? -1) ?? "", "moves": String(moves.count - 1)], by: actor, at: now, on: db)
        return saved
    }

}
