import Fluent
import Foundation
import JifenCore
import Vapor

/// Generated residents for the demo city: valid ID numbers from real region codes (the provinces
/// most new citizens of Zhangjiagang come from), registrations in every state, rental houses and
/// permits. The same seed gives the same city every time.
enum DemoResidents {
    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
    static let given = Array("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉建国志强海燕梅琳斌宇浩凯欣怡子涵雨轩佳俊博文")
    /// Provinces new citizens of Zhangjiagang mostly come from (Anhui, Henan, Sichuan, Guizhou, northern Jiangsu, Hubei, Hunan, Gansu).
    static let provinces = ["34", "41", "51", "52", "3203", "3208", "3209", "3213", "42", "43", "62"]

    struct Counts {
        var residents = 0, registrations = 0, houses = 0, permits = 0
        /// Each generated resident with his ID number in clear (kept in memory only, for the
        /// demo's feed file and points applications).
        var people: [(resident: Resident, idNumber: String)] = []
    }

    /// A rental house as the residents' registrations need it (the houses themselves are not kept).
    struct House { let id: UUID; let grid: UUID; let address: String }

    @discardableResult
    static func load(_ size: DemoSize = .small, on db: any Database, app: Application, today: CivilDate, now: Date,
                     progress: (String) -> Void = { _ in }) async throws -> Counts {
        var rng = SplitMix64(seed: 320_582)
        let regions = app.regions
        let regionText = try String(contentsOfFile: JifenResourcesPath.regions, encoding: .utf8)
        // County-level codes of the chosen provinces that exist in the list.
        let counties = regionText.split(separator: "\n").compactMap { line -> String? in
            let code = String(line.prefix(6))
            guard !code.hasSuffix("00"), provinces.contains(where: { code.hasPrefix($0) }), regions.contains(code) else { return nil }
            return code
        }
        let grids = try await Jurisdiction.query(on: db).filter(\.$level == JurisdictionLevel.grid.rawValue).sort(\.$code).all()
        guard !grids.isEmpty, !counties.isEmpty else { return Counts() }

        // Rental houses: two per grid in the small demo, the city's number spread over its grids.
        var houses: [House] = []
        var batch: [RentalHouse] = []
        let total = size.houses > 0 ? size.houses : 2 * grids.count
        for (g, grid) in grids.enumerated() {
            let here = total / grids.count + (g < total % grids.count ? 1 : 0)
            let area = grid.name.replacingOccurrences(of: "第一网格", with: "").replacingOccurrences(of: "第二网格", with: "")
            for n in 0..<here {
                let house = RentalHouse()
                house.id = UUID()
                house.createdAt = now
                let building = Int.random(in: 1...30, using: &rng), unit = Int.random(in: 1...4, using: &rng), room = Int.random(in: 1...18, using: &rng) * 100 + Int.random(in: 1...4, using: &rng)
                house.addressCode = grid.code + "-\(building)-\(unit)-\(room)" + (n == 0 ? "" : n == 1 ? "a" : "-\(n)")
                house.address = area + "\(building)幢\(unit)单元\(room)室"
                house.landlord = String(surnames[Int.random(in: 0..<surnames.count, using: &rng)]) + "房东"
                house.capacity = Int.random(in: 2...8, using: &rng)
                house.$jurisdiction.id = try grid.requireID()
                houses.append(House(id: house.id!, grid: house.$jurisdiction.id, address: house.address))
                batch.append(house)
                if batch.count == 5_000 {
                    try await db.transaction { [batch] db in try await batch.create(on: db, batch: 500) }
                    batch.removeAll(keepingCapacity: true)
                    progress("出租房屋 / rental houses \(houses.count)/\(total)")
                }
            }
        }
        try await db.transaction { [batch] db in try await batch.create(on: db, batch: 500) }

        var counts = Counts(houses: houses.count)
        var seen: Set<String> = []
        let chunk = 10_000
        var i = 0
        while i < size.residents {
            let (done, people) = try await residents(from: i, count: min(chunk, size.residents - i), houses: houses, counties: counties,
                                                     seen: &seen, rng: &rng, on: db, app: app, today: today, now: now)
            counts.residents += done.residents
            counts.registrations += done.registrations
            counts.permits += done.permits
            counts.people += people.prefix(max(0, size.kept - counts.people.count))
            i += done.residents
            if size.residents > chunk { progress("居民 / residents \(i)/\(size.residents)") }
        }
        return counts
    }

    /// Residents `start`..<`start + count`, with their registrations, permits and permit steps, stored.
    private static func residents(from start: Int, count: Int, houses: [House], counties: [String], seen: inout Set<String>, rng: inout SplitMix64,
                                  on db: any Database, app: Application, today: CivilDate, now: Date) async throws -> (Counts, [(resident: Resident, idNumber: String)]) {
        let data = app.personalData
        let regions = app.regions
        var residents: [Resident] = []
        var numbers: [String] = []
        while residents.count < count {
            let region = counties[Int.random(in: 0..<counties.count, using: &rng)]
            let birth = CivilDate(year: Int.random(in: 1966...2002, using: &rng), month: Int.random(in: 1...12, using: &rng), day: Int.random(in: 1...28, using: &rng))!
            let sequence = String(format: "%03d", Int.random(in: 1...999, using: &rng))
            let first17 = region + String(format: "%04d%02d%02d", birth.year, birth.month, birth.day) + sequence
            let number = first17 + String(ResidentID.checkDigit(first17)!)
            guard seen.insert(number).inserted, case .success(let id) = ResidentID.validate(number, today: today, regions: regions) else { continue }
            let name = String(surnames[Int.random(in: 0..<surnames.count, using: &rng)])
                + String(given[Int.random(in: 0..<given.count, using: &rng)]) + (Bool.random(using: &rng) ? String(given[Int.random(in: 0..<given.count, using: &rng)]) : "")
            let resident = try Resident(name: name, id: id, phone: nil, userID: nil, data: data, at: now)
            resident.id = UUID()
            residents.append(resident)
            numbers.append(number)
        }

        var registrations: [ResidenceRegistration] = []
        var permits: [ResidencePermit] = []
        var steps: [PermitStep] = []
        for (k, resident) in residents.enumerated() {
            let i = start + k
            // Some pending, overdue and rejected declarations land in the first grid, the demo grid
            // worker's, so his queue has work on it.
            let house = i < 1000 && i % 100 < 4 ? houses[i % 2] : houses[Int.random(in: 0..<houses.count, using: &rng)]
            // A history: most people have one earlier period they moved out of.
            let start = today.adding(days: -Int.random(in: 200...3000, using: &rng))
            func registration(_ from: CivilDate, to: CivilDate?, status: ResidenceRegistration.Status, due: CivilDate, source: ResidenceRegistration.Source) -> ResidenceRegistration {
                let r = ResidenceRegistration(of: resident.id!, grid: house.grid, house: house.id, address: house.address,
                                              from: from, source: source, status: status, due: due, at: now)
                r.toDate = to
                if status != .pending { r.method = ["visit", "phone", "wechat"][i % 3]; r.decidedBy = "grid.demo" }
                if status == .rejected { r.reason = "核实时无人居住" }
                return r
            }
            if i % 3 != 0 {
                let end = start.adding(days: Int.random(in: 90...180, using: &rng))
                registrations.append(registration(start, to: end, status: .verified, due: start.adding(days: 7), source: .gridWorker))
            }
            let currentStart = i % 3 != 0 ? start.adding(days: 200) : start
            switch i % 20 {
            case 0, 1:     // declared a few days ago, still within 7 days
                let declared = today.adding(days: -Int.random(in: 0...5, using: &rng))
                registrations.append(registration(declared, to: nil, status: .pending, due: declared.adding(days: 7), source: .selfDeclared))
            case 2:        // declared long ago and never verified: overdue
                let declared = today.adding(days: -Int.random(in: 9...30, using: &rng))
                registrations.append(registration(declared, to: nil, status: .pending, due: declared.adding(days: 7), source: .selfDeclared))
            case 3:
                registrations.append(registration(today.adding(days: -20), to: nil, status: .rejected, due: today.adding(days: -13), source: .selfDeclared))
            default:
                registrations.append(registration(min(currentStart, today), to: nil, status: .verified, due: currentStart.adding(days: 7), source: i % 2 == 0 ? .selfDeclared : .gridWorker))
                if i % 3 == 1 {
                    let permit = ResidencePermit()
                    permit.createdAt = now
                    permit.number = String(format: "JZ2026%06d", i)
                    permit.basis = ["employment", "housing", "study"][i % 3]
                    permit.evidence = ["劳动合同", "房屋租赁合同备案", "在读证明"][i % 3]
                    permit.id = UUID()
                    var position = 0
                    func record(_ status: ResidencePermit.Status, on day: CivilDate) {
                        permit.status = status
                        steps.append(PermitStep(permit: permit.id!, position: position, step: .init(rawValue: status.rawValue)!, day: day))
                        position += 1
                    }
                    let applied = today.adding(days: -Int.random(in: 1...60, using: &rng))
                    let statuses: [ResidencePermit.Status] = [.submitted, .accepted, .inProduction, .ready, .issued, .issued, .issued, .rejected]
                    let target = statuses[(i / 3) % statuses.count]
                    record(.submitted, on: applied)
                    if target == .rejected {
                        record(.rejected, on: applied.adding(days: 1))
                        permit.reason = "稳定就业证明材料不全"
                    } else {
                        for step in [ResidencePermit.Status.accepted, .inProduction, .ready, .issued] {
                            if statuses.firstIndex(of: step)! > statuses.firstIndex(of: target)! { break }
                            record(step, on: applied.adding(days: 2))
                            if step == .inProduction { permit.productionDue = app.workingCalendar.adding(workingDays: 15, to: applied.adding(days: 2)).date }
                            if step == .issued { permit.validUntil = applied.adding(days: 2).adding(years: 1) }
                        }
                    }
                    permit.$resident.id = resident.id!
                    permit.$jurisdiction.id = house.grid
                    permits.append(permit)
                }
            }
        }
        // One transaction for the chunk; batches keep each statement well below the database's
        // parameter limits.
        try await db.transaction { [residents, registrations, permits, steps] db in
            try await residents.create(on: db, batch: 200)
            try await registrations.create(on: db, batch: 200)
            try await permits.create(on: db, batch: 200)
            try await steps.create(on: db, batch: 500)
        }
        return (Counts(residents: residents.count, registrations: registrations.count, permits: permits.count),
                Array(zip(residents, numbers)))
    }
}

import JifenResources
enum JifenResourcesPath {
    static var regions: String { JifenResources.directory("Regions") + "gbt2260.tsv" }
    static var standards: String { JifenResources.directory("Standards") }
}

extension DemoResidents {
    /// The grid each of `people` lives in now.
    static func currentGrids(of people: [(resident: Resident, idNumber: String)], on db: any Database) async throws -> [UUID: UUID] {
        try await ResidenceRegistration.currentGrids(of: people.compactMap(\.resident.id), on: db)
    }
}
