import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import JifenCore
import JifenResources
import Leaf
import LeafKit
import SQLKit
import Vapor

/// The one composition root. Tests call it with their own configuration and effects.
public func configure(_ app: Application, config: AppConfig, effects: Effects = .live) async throws {
    app.jifenConfig = config
    app.effects = effects
    app.keys = Keys(secret: config.secretKey)
    app.catalog = try Catalog.load()
    app.workingCalendar = try WorkingCalendar.parse(
        String(contentsOfFile: JifenResources.directory("Calendars") + "cn-working-calendar.yaml", encoding: .utf8)
    ).get()
    app.regions = RegionCodes(tsv: try String(contentsOfFile: JifenResources.directory("Regions") + "gbt2260.tsv", encoding: .utf8))
    app.http.server.configuration.hostname = config.hostname
    app.http.server.configuration.port = config.port

    switch config.database {
    case .sqlite(let path):
        let directory = (path as NSString).deletingLastPathComponent
        let fm = FileManager.default
        do {
            // Only the account Jifen runs as may read the data: the directory 0700, the database 0600
            // (SQLite gives its journal files the database's mode).
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
            if !fm.fileExists(atPath: path) { fm.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) }
            try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        } catch {
            throw AppConfig.Problem(setting: "JIFEN_DATA_DIR", message: "无法创建目录 \(directory) 或设置其权限 / cannot create the directory or set its permissions")
        }
        SQLiteTuning.install()
        app.databases.use(.sqlite(.file(path)), as: .sqlite)
    case .postgres(let url):
        do {
            app.databases.use(try .postgres(url: url), as: .psql)
        } catch {
            throw AppConfig.Problem(setting: "DATABASE_URL", message: "无法解析 / cannot be parsed: \(error)")
        }
    }
    registerMigrations(app)

    // The demo keeps the log sender: no text leaves a demo machine. Without a gateway, texts wait.
    if config.demo {
        app.messageSender = LogSender()
    } else if let gateway = config.smsGateway {
        app.messageSender = SMSGatewaySender(url: gateway.url, account: gateway.account, key: gateway.key)
    }
    if let weChat = config.weChat, !config.demo { app.weChatSender = WeChatSender(weChat) }

    app.passwords.use(.bcrypt(cost: config.bcryptCost))
    app.decoyHash = try Bcrypt.hash(effects.token(), cost: config.bcryptCost)

    app.directory.viewsDirectory = JifenResources.directory("Views")
    app.directory.publicDirectory = JifenResources.directory("Public")
    // The resource bundle may sit under a hidden folder (`.build/`), so Leaf's "visible files only"
    // limit is dropped; the sandbox still confines it to the views folder.
    // Pages render `<language>/<template>`, the template with the catalog's texts written in.
    app.leaf.sources = .singleSource(CatalogTemplates(files: NIOLeafFiles(
        fileio: app.fileio, limits: [.toSandbox, .requireExtensions],
        sandboxDirectory: app.directory.viewsDirectory, viewDirectory: app.directory.viewsDirectory
    ), tables: app.catalogTables))
    app.views.use(.leaf)
    app.leaf.tags["t"] = CatalogTag()
    app.leaf.tags["any"] = AnyTag()
    app.leaf.tags["explanation"] = Explanation.Tag()
    app.leaf.tags["explanationTable"] = Explanation.TableTag()
    app.leaf.tags["errorSummary"] = ErrorSummaryTag()

    app.middleware = .init()
    app.middleware.use(InFlightMiddleware(inFlight: app.inFlight))
    app.middleware.use(SecurityHeadersMiddleware())
    app.middleware.use(ErrorPagesMiddleware())
    app.middleware.use(MetricsMiddleware(metrics: app.metrics))
    app.middleware.use(FileMiddleware(publicDirectory: app.directory.publicDirectory))
    app.middleware.use(ApiMiddleware())
    if case .sqlite(let path) = config.database {
        let connections = ReadConnections(path: path, threadPool: app.threadPool, logger: app.logger)
        app.readConnections = connections
        app.lifecycle.use(ReadConnections.Closer(connections: connections))
        app.middleware.use(ReadConnectionsMiddleware(connections: connections))
    }
    if case .postgres(let url) = config.database {
        let connections = PostgresReadConnections(configuration: try SQLPostgresConfiguration(url: url).coreConfiguration, logger: app.logger)
        app.postgresReadConnections = connections
        app.lifecycle.use(PostgresReadConnections.Closer(connections: connections))
        app.middleware.use(PostgresReadConnectionsMiddleware(connections: connections))
    }
    app.middleware.use(SessionMiddleware())
    app.middleware.use(AccessMiddleware())
    app.middleware.use(CSRFMiddleware(keys: app.keys))
    app.pageCache = PageCache(seconds: config.pageCacheSeconds)
    _ = app.liveStandings   // made here, before any request reads it
    app.middleware.use(PageCacheMiddleware())

    routes(app)
}

func routes(_ app: Application) {
    AccountsController.register(app)
    CareMode.register(app)
    PasswordController.register(app)
    SecondFactor.register(app)
    MyData.register(app)
    PrivacyNotice.register(app)
    HomeController.register(app)
    OrgController.register(app)
    UsersController.register(app)
    AuditController.register(app)
    AccessLogController.register(app)
    HealthController.register(app)
    StandardsController.register(app)
    ApprovalsController.register(app)
    TieredServicesController.register(app)
    EstimateController.register(app)
    ResidenceController.register(app)
    StaffResidenceController.register(app)
    HousesController.register(app)
    LandlordController.register(app)
    HazardsController.register(app)
    LandlordsController.register(app)
    PermitOnlineController.register(app)
    PerformanceController.register(app)
    ComplaintsController.register(app)
    MaterialsController.register(app)
    AppointmentsController.register(app)
    PortalController.register(app)
    ForecastController.register(app)
    HouseholdController.register(app)
    CalendarController.register(app)
    FeedsController.register(app)
    PointsController.register(app)
    PointsStaffController.register(app)
    ProgramsController.register(app)
    SurveysController.register(app)
    ConsultationsController.register(app)
    DashboardController.register(app)
    SimulationController.register(app)
    ApiTokensController.register(app)
    OutboxController.register(app)
    ApiController.register(app)
}

/// Brings the database to the current schema. On SQLite it first turns on write-ahead logging
/// (kept in the file); `synchronous` stays at SQLite's compiled default, FULL, so an acknowledged
/// write survives a crash (a test checks both on a pooled connection).
public func prepareDatabase(_ app: Application) async throws {
    if app.jifenConfig.isSQLite {
        _ = try await (app.db as! any SQLDatabase).raw("PRAGMA journal_mode=WAL").all()
    }
    try await app.autoMigrate()
}

extension AppConfig {
    var isSQLite: Bool { if case .sqlite = database { true } else { false } }
}

extension Application {
    private struct DecoyKey: StorageKey { typealias Value = String }
    /// A bcrypt hash of a random string, verified against when a login is unknown so the answer
    /// takes as long as for a known one.
    var decoyHash: String {
        get { storage[DecoyKey.self] ?? "" }
        set { storage[DecoyKey.self] = newValue }
    }
}
