import Foundation
import Vapor

/// A case's number as the citizen reads it: a prefix for its kind (`YH` a hazard, `TS` a
/// complaint, `YY` an appointment), the day in Shanghai and six random digits, drawn again while
/// `taken` says one is in use.
enum CaseNumbers {
    static func next(_ prefix: String, app: Application, now: Date, taken: (String) async throws -> Bool) async throws -> String {
        func draw() -> String {
            prefix + ShanghaiTime.format(now, "yyyyMMdd") + String(format: "%06d", Int(app.effects.randomBytes(3).reduce(0) { $0 << 8 | Int($1) }) % 1_000_000)
        }
        var number = draw()
        while try await taken(number) { number = draw() }
        return number
    }
}
