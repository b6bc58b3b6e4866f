import Fluent
import Foundation
import JifenCore
import Vapor

/// What a workflow service works with: the application, the database (or the transaction it
/// runs in), the moment it acts at, who acts, and where it logs. Pages, jobs, the demo and the
/// tests all make one the same way (`ProgramService(app:db:now:actor:logger:)`).
protocol WorkflowService {
    init(app: Application, db: any Database, now: Date, actor: Actor, logger: Logger)
    var app: Application { get }
    var db: any Database { get }
    var now: Date { get }
    var actor: Actor { get }
    var logger: Logger { get }
}

extension WorkflowService {
    /// The day it acts on, in Asia/Shanghai.
    var today: CivilDate { ShanghaiDate.today(now) }

    /// The same service on `db` (a transaction it runs in).
    func on(_ db: any Database) -> Self { Self(app: app, db: db, now: now, actor: actor, logger: logger) }

    /// A text the service writes for the citizen (a text message), in Chinese.
    func text(_ key: String, _ arguments: [String: String] = [:]) -> String { app.catalog.text(key, .zh, arguments) }
}

extension WorkflowService {
    /// The service as a request uses it: its database, its moment, its signed-in actor.
    init(_ req: Request) { self.init(app: req.application, db: req.db, now: req.now, actor: req.actor, logger: req.logger) }
}
