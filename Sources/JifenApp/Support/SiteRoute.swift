import Vapor

/// Every route of the site, named once. A controller registers a route with it
/// (`routes.get(.program(":code"), access: .anyone, use: page)`: the case with parameter
/// placeholders is the pattern) and a page prints a link with it (`SiteRoute.program(code).path`),
/// so a link cannot point where no route is and a path is written in one place only.
enum SiteRoute: Hashable, Sendable {
    /// `/`
    case root
    /// `/account/password`
    case password
    /// `/admin/calendar`
    case calendar
    /// `/admin/users`
    case adminUsers
    /// `/admin/users/new`
    case adminUserNew
    /// `/audit`
    case audit
    /// `/audit/access`: who saw full ID numbers and minors' records
    case accessLog
    /// `/complaints`: complaints about how cases were handled (the centre's)
    case complaints
    /// `/complaints/stats.csv`: their figures by unit
    case complaintsCSV
    /// `/complaints/:id`
    case complaint(String)
    /// `/complaints/:id/conclude`
    case complaintConclude(String)
    /// `/me/complaints`: a citizen's complaints and the form to file one
    case myComplaints
    /// `/forecast`: the demand forecast (排摸) of a year
    case forecast
    /// `/forecast.csv`
    case forecastCSV
    /// `/policy`: the policy portal (announcements, policies, questions; the year's calendar)
    case policy
    /// `/policy/:id`: one article
    case policyArticle(String)
    /// `/admin/policy`: the centre writes the portal
    case adminPolicy
    /// `/admin/policy/:id/delete`
    case adminPolicyDelete(String)
    /// `/me/appointments`: a citizen's appointments at the window, and booking one
    case myAppointments
    /// `/me/appointments/:id/cancel`
    case myAppointmentCancel(String)
    /// `/me/appointments/:id/move`
    case myAppointmentMove(String)
    /// `/appointments`: a window's day of appointments
    case appointments
    /// `/appointments/:id/mark`: arrived or not
    case appointmentMark(String)
    /// `/appointments/schedule`: the window's times and places
    case appointmentSchedule
    /// `/consultations`
    case consultations
    /// `/consultations/:code`
    case consultation(String)
    /// `/consultations/:code/opinions`
    case consultationOpinions(String)
    /// `/dashboard`
    case dashboard
    /// `/dashboard/:table`
    case dashboardTable(String)
    /// `/estimate`
    case estimate
    /// `/feeds`
    case feeds
    /// `/feeds/jobs/:id`
    case feedJob(String)
    /// `/healthz`
    case healthz
    /// `/hazards`: hazards in rental housing, as the viewer's role sees them
    case hazards
    /// `/hazards/new`: the grid worker reports one
    case hazardNew
    /// `/hazards/report`: anyone reports one from a door's QR code
    case hazardReport
    /// `/hazards/:id`
    case hazard(String)
    /// `/hazards/:id/steps`: acknowledge, forward, rectify, accept, send back, spot-check
    case hazardSteps(String)
    /// `/hazards/:id/photos`
    case hazardPhotos(String)
    /// `/hazards/photos/:id`
    case hazardPhoto(String)
    /// `/hazards/stats`: handling rate, overdue by department and town, by kind and area
    case hazardStats
    /// `/hazards/stats.csv`
    case hazardStatsCSV
    /// `/hazards/types`: the kinds, their departments and working days (the centre edits them)
    case hazardTypes
    /// `/home`
    case home
    /// `/houses`
    case houses
    /// `/houses/:id`
    case house(String)
    /// `/houses/:id/qr.svg`
    case houseQR(String)
    /// `/houses/new`
    case houseNew
    /// `/houses/:id/managers/:manager/decision`: the grid worker confirms or refuses a landlord
    case houseManagerDecision(String, String)
    /// `/landlords`: landlords managing several houses, with their star rating
    case landlords
    /// `/landlords/rules`: the star rating's rules
    case landlordRules
    /// `/lang/:code`
    case language(String)
    /// `/care`: care mode (关怀模式) on or off, for this browser and the signed-in account
    case care
    /// `/login`
    case login
    /// `/login/code`: the second factor's step
    case loginCode
    /// `/account/second-factor`
    case secondFactor
    /// `/admin/users/:id/status`
    case adminUserStatus(String)
    /// `/admin/api-tokens`: department systems' API tokens
    case apiTokens
    /// `/admin/api-tokens/:id/revoke`
    case apiTokenRevoke(String)
    /// `/admin/outbox`: texts and their delivery
    case outbox
    /// `/admin/outbox/:id/retry`
    case outboxRetry(String)
    /// `/logout`
    case logout
    /// `/materials`: what each business asks for, told once (一次性告知)
    case materials
    /// `/admin/materials`: the centre edits it
    case adminMaterials
    /// `/admin/materials/:id/delete`
    case adminMaterialDelete(String)
    /// `/me/household`
    case myHousehold
    /// `/me/houses`: the houses a landlord, sublandlord or employer manages
    case myHouses
    /// `/me/houses/:id`
    case myHouse(String)
    /// `/me/houses/:id/arrivals`: declare someone moving in
    case myHouseArrival(String)
    /// `/me/houses/:id/registrations/:registration/departure`: declare someone who left
    case myHouseDeparture(String, String)
    /// `/me/data`: everything held about me (PIPL)
    case myData
    /// `/me/data.json`
    case myDataJSON
    /// `/privacy`: the privacy notice (个人信息处理规则)
    case privacy
    /// `/me/identity`
    case myIdentity
    /// `/me/permit`
    case myPermit
    /// `/me/permit/endorse`
    case myPermitEndorse
    /// `/me/permit/card`: the electronic permit with its verification QR code
    case myPermitCard
    /// `/verify/permit/:token`: any agency checks a permit (valid or not, its term, a masked name)
    case permitVerification(String)
    /// `/permit-benefits`: what the permit gives
    case permitBenefits
    /// `/admin/permit-benefits`: the centre edits it
    case adminPermitBenefits
    /// `/admin/permit-benefits/:id/delete`
    case adminPermitBenefitDelete(String)
    /// `/me/points`
    case myPoints
    /// `/me/programs`
    case myPrograms
    /// `/me/programs/:number/offer`: confirm or decline a place
    case myProgramOffer(String)
    /// `/me/residence`
    case myResidence
    /// `/me/residence/:id/move-out`
    case moveOut(String)
    /// `/me/residence/:id/dispute`: the tenant disputes a declaration made for him
    case registrationDispute(String)
    /// `/metrics`
    case metrics
    /// `/org/:code`
    case org(String)
    /// `/performance`: grid and town performance (考核) for a month
    case performance
    /// `/performance.csv`
    case performanceCSV
    /// `/permits`
    case permits
    /// `/permits/:id/advance`
    case permitAdvance(String)
    /// `/permits/:id/receipt`: the printable receipt of a permit application
    case permitReceipt(String)
    /// `/permits/:id/reject`
    case permitReject(String)
    /// `/points/applications`
    case pointApplications
    /// `/points/applications/:id`
    case pointApplication(String)
    /// `/points/applications/:id/receipt`: the printable receipt (受理回执)
    case pointApplicationReceipt(String)
    /// `/points/applications/:id/claims`
    case pointApplicationClaims(String)
    /// `/points/applications/:id/claims/:claim/delete`
    case pointClaimDelete(String, String)
    /// `/points/applications/:id/claims/:claim/evidence`
    case pointClaimEvidence(String, String)
    /// `/points/applications/:id/review`
    case pointApplicationReview(String)
    /// `/points/applications/:id/submit`
    case pointApplicationSubmit(String)
    /// `/points/archives/:resident`
    case pointArchive(String)
    /// `/points/archives/:resident/end`
    case pointArchiveEnd(String)
    /// `/points/archives/:resident/fraud`
    case pointArchiveFraud(String)
    /// `/points/claims/:id`
    case pointClaim(String)
    /// `/points/claims/:id/decision`
    case pointClaimDecision(String)
    /// `/points/evidence/:id`
    case evidence(String)
    /// `/points/review`
    case pointsReview
    /// `/programs`
    case programs
    /// `/programs/:code`
    case program(String)
    /// `/programs/:code/applications`
    case programApplications(String)
    /// `/programs/:code/apply`
    case programApply(String)
    /// `/programs/:code/objections`
    case programObjections(String)
    /// `/programs/:code/objections/:id/answer`
    case objectionAnswer(String, String)
    /// `/programs/:code/objections/close`: close many objections as spam, with one reason
    case objectionsClose(String)
    /// `/programs/:code/quotas`
    case programQuotas(String)
    /// `/programs/:code/quotas/csv`
    case programQuotasCSV(String)
    /// `/programs/:code/quotas/publish`
    case programQuotasPublish(String)
    /// `/programs/:code/approvals`
    case programApprovals(String)
    /// `/programs/:code/priority-groups`
    case programPriorityGroups(String)
    /// `/priority-claims`
    case priorityClaims
    /// `/priority-claims/:id`
    case priorityClaim(String)
    /// `/programs/:code/rounds`
    case programRounds(String)
    /// `/programs/:code/demand`: while the window is open, each school's seats and how many rank it
    case programDemand(String)
    /// `/programs/:code/recheck`: the re-check before a round is published
    case programRecheck(String)
    /// `/programs/:code/recheck/:id`: the bureau's decision on a finding
    case recheckDecision(String, String)
    /// `/programs/:code/rounds/:round/finalize`
    case roundFinalize(String, String)
    /// `/programs/:code/second`
    case programSecond(String)
    /// `/programs/new`
    case programNew
    /// `/publicity/:code/:round`
    case publicity(String, String)
    /// `/publicity/:code/:round/print`: the whole list on A4 for a notice board
    case publicityPrint(String, String)
    /// `/publicity/:code/:round/objections`
    case publicityObjections(String, String)
    /// `/readyz`
    case readyz
    /// `/register`
    case register
    /// `/register/verify`
    case verify
    /// `/registrations`
    case registrations
    /// `/registrations/:id/decision`
    case registrationDecision(String)
    /// `/registrations/:id/end`
    case registrationEnd(String)
    /// `/registrations/arrival`
    case arrival
    /// `/residents/:id`
    case resident(String)
    /// `/residents/:id/identity`: staff confirm (after checking the card) or release an account's identity
    case residentIdentity(String)
    /// `/residents/:id/members/:member/verify`
    case memberVerify(String, String)
    /// `/residents/lookup`
    case residentLookup
    /// `/s/:code`
    case surveyForm(String)
    /// `/simulate`
    case simulate
    /// `/simulate/jobs/:id`
    case simulationJob(String)
    /// `/services-by-points`
    case tieredServices
    /// `/standards`
    case standards
    /// `/standards/:code`
    case standard(String)
    /// `/standards/:code/publish`
    case standardPublish(String)
    /// `/standards/:code/approvals`
    case standardApprovals(String)
    /// `/standards/diff`
    case standardsDiff
    /// `/standards/new`
    case standardNew
    /// `/surveys`
    case surveys
    /// `/surveys/:code`
    case survey(String)
    /// `/surveys/:code/results.csv`
    case surveyCSV(String)
    /// `/surveys/:code/status`
    case surveyStatus(String)

    /// The path: a link when the parameters are values, the pattern when they are `:name`.
    var path: String {
        switch self {
        case .root: "/"
        case .password: "/account/password"
        case .calendar: "/admin/calendar"
        case .adminUsers: "/admin/users"
        case .adminUserNew: "/admin/users/new"
        case .audit: "/audit"
        case .accessLog: "/audit/access"
        case .complaints: "/complaints"
        case .complaintsCSV: "/complaints/stats.csv"
        case .complaint(let id): "/complaints/" + id
        case .complaintConclude(let id): "/complaints/" + id + "/conclude"
        case .myComplaints: "/me/complaints"
        case .myAppointments: "/me/appointments"
        case .policy: "/policy"
        case .forecast: "/forecast"
        case .forecastCSV: "/forecast.csv"
        case .policyArticle(let id): "/policy/" + id
        case .adminPolicy: "/admin/policy"
        case .adminPolicyDelete(let id): "/admin/policy/" + id + "/delete"
        case .myAppointmentCancel(let id): "/me/appointments/" + id + "/cancel"
        case .myAppointmentMove(let id): "/me/appointments/" + id + "/move"
        case .appointments: "/appointments"
        case .appointmentMark(let id): "/appointments/" + id + "/mark"
        case .appointmentSchedule: "/appointments/schedule"
        case .consultations: "/consultations"
        case .consultation(let code): "/consultations/" + code
        case .consultationOpinions(let code): "/consultations/" + code + "/opinions"
        case .dashboard: "/dashboard"
        case .dashboardTable(let table): "/dashboard/" + table
        case .estimate: "/estimate"
        case .feeds: "/feeds"
        case .feedJob(let id): "/feeds/jobs/" + id
        case .healthz: "/healthz"
        case .hazards: "/hazards"
        case .hazardNew: "/hazards/new"
        case .hazardReport: "/hazards/report"
        case .hazard(let id): "/hazards/" + id
        case .hazardSteps(let id): "/hazards/" + id + "/steps"
        case .hazardPhotos(let id): "/hazards/" + id + "/photos"
        case .hazardPhoto(let id): "/hazards/photos/" + id
        case .hazardStats: "/hazards/stats"
        case .hazardStatsCSV: "/hazards/stats.csv"
        case .hazardTypes: "/hazards/types"
        case .home: "/home"
        case .houses: "/houses"
        case .house(let id): "/houses/" + id
        case .houseManagerDecision(let id, let manager): "/houses/" + id + "/managers/" + manager + "/decision"
        case .houseQR(let id): "/houses/" + id + "/qr.svg"
        case .houseNew: "/houses/new"
        case .landlords: "/landlords"
        case .landlordRules: "/landlords/rules"
        case .language(let code): "/lang/" + code
        case .care: "/care"
        case .login: "/login"
        case .loginCode: "/login/code"
        case .secondFactor: "/account/second-factor"
        case .adminUserStatus(let id): "/admin/users/" + id + "/status"
        case .apiTokens: "/admin/api-tokens"
        case .apiTokenRevoke(let id): "/admin/api-tokens/" + id + "/revoke"
        case .outbox: "/admin/outbox"
        case .outboxRetry(let id): "/admin/outbox/" + id + "/retry"
        case .logout: "/logout"
        case .materials: "/materials"
        case .adminMaterials: "/admin/materials"
        case .adminMaterialDelete(let id): "/admin/materials/" + id + "/delete"
        case .myHousehold: "/me/household"
        case .myHouses: "/me/houses"
        case .myHouse(let id): "/me/houses/" + id
        case .myHouseArrival(let id): "/me/houses/" + id + "/arrivals"
        case .myHouseDeparture(let id, let registration): "/me/houses/" + id + "/registrations/" + registration + "/departure"
        case .myData: "/me/data"
        case .myDataJSON: "/me/data.json"
        case .privacy: "/privacy"
        case .myIdentity: "/me/identity"
        case .myPermit: "/me/permit"
        case .myPermitEndorse: "/me/permit/endorse"
        case .myPermitCard: "/me/permit/card"
        case .permitVerification(let token): "/verify/permit/" + token
        case .permitBenefits: "/permit-benefits"
        case .adminPermitBenefits: "/admin/permit-benefits"
        case .adminPermitBenefitDelete(let id): "/admin/permit-benefits/" + id + "/delete"
        case .myPoints: "/me/points"
        case .myPrograms: "/me/programs"
        case .myProgramOffer(let number): "/me/programs/" + number + "/offer"
        case .programRecheck(let code): "/programs/" + code + "/recheck"
        case .programDemand(let code): "/programs/" + code + "/demand"
        case .recheckDecision(let code, let id): "/programs/" + code + "/recheck/" + id
        case .myResidence: "/me/residence"
        case .registrationDispute(let id): "/me/residence/" + id + "/dispute"
        case .moveOut(let id): "/me/residence/" + id + "/move-out"
        case .metrics: "/metrics"
        case .org(let code): "/org/" + code
        case .performance: "/performance"
        case .performanceCSV: "/performance.csv"
        case .permits: "/permits"
        case .permitAdvance(let id): "/permits/" + id + "/advance"
        case .permitReceipt(let id): "/permits/" + id + "/receipt"
        case .permitReject(let id): "/permits/" + id + "/reject"
        case .pointApplications: "/points/applications"
        case .pointApplication(let id): "/points/applications/" + id
        case .pointApplicationReceipt(let id): "/points/applications/" + id + "/receipt"
        case .pointApplicationClaims(let id): "/points/applications/" + id + "/claims"
        case .pointClaimDelete(let id, let claim): "/points/applications/" + id + "/claims/" + claim + "/delete"
        case .pointClaimEvidence(let id, let claim): "/points/applications/" + id + "/claims/" + claim + "/evidence"
        case .pointApplicationReview(let id): "/points/applications/" + id + "/review"
        case .pointApplicationSubmit(let id): "/points/applications/" + id + "/submit"
        case .pointArchive(let resident): "/points/archives/" + resident
        case .pointArchiveEnd(let resident): "/points/archives/" + resident + "/end"
        case .pointArchiveFraud(let resident): "/points/archives/" + resident + "/fraud"
        case .pointClaim(let id): "/points/claims/" + id
        case .pointClaimDecision(let id): "/points/claims/" + id + "/decision"
        case .evidence(let id): "/points/evidence/" + id
        case .pointsReview: "/points/review"
        case .programs: "/programs"
        case .program(let code): "/programs/" + code
        case .programApplications(let code): "/programs/" + code + "/applications"
        case .programApply(let code): "/programs/" + code + "/apply"
        case .programObjections(let code): "/programs/" + code + "/objections"
        case .objectionAnswer(let code, let id): "/programs/" + code + "/objections/" + id + "/answer"
        case .objectionsClose(let code): "/programs/" + code + "/objections/close"
        case .programQuotas(let code): "/programs/" + code + "/quotas"
        case .programQuotasCSV(let code): "/programs/" + code + "/quotas/csv"
        case .programQuotasPublish(let code): "/programs/" + code + "/quotas/publish"
        case .programApprovals(let code): "/programs/" + code + "/approvals"
        case .programPriorityGroups(let code): "/programs/" + code + "/priority-groups"
        case .priorityClaims: "/priority-claims"
        case .priorityClaim(let id): "/priority-claims/" + id
        case .programRounds(let code): "/programs/" + code + "/rounds"
        case .roundFinalize(let code, let round): "/programs/" + code + "/rounds/" + round + "/finalize"
        case .programSecond(let code): "/programs/" + code + "/second"
        case .programNew: "/programs/new"
        case .publicity(let code, let round): "/publicity/" + code + "/" + round
        case .publicityPrint(let code, let round): "/publicity/" + code + "/" + round + "/print"
        case .publicityObjections(let code, let round): "/publicity/" + code + "/" + round + "/objections"
        case .readyz: "/readyz"
        case .register: "/register"
        case .verify: "/register/verify"
        case .registrations: "/registrations"
        case .registrationDecision(let id): "/registrations/" + id + "/decision"
        case .registrationEnd(let id): "/registrations/" + id + "/end"
        case .arrival: "/registrations/arrival"
        case .resident(let id): "/residents/" + id
        case .residentIdentity(let id): "/residents/" + id + "/identity"
        case .memberVerify(let id, let member): "/residents/" + id + "/members/" + member + "/verify"
        case .residentLookup: "/residents/lookup"
        case .surveyForm(let code): "/s/" + code
        case .simulate: "/simulate"
        case .simulationJob(let id): "/simulate/jobs/" + id
        case .standards: "/standards"
        case .standard(let code): "/standards/" + code
        case .standardPublish(let code): "/standards/" + code + "/publish"
        case .standardApprovals(let code): "/standards/" + code + "/approvals"
        case .tieredServices: "/services-by-points"
        case .standardsDiff: "/standards/diff"
        case .standardNew: "/standards/new"
        case .surveys: "/surveys"
        case .survey(let code): "/surveys/" + code
        case .surveyCSV(let code): "/surveys/" + code + "/results.csv"
        case .surveyStatus(let code): "/surveys/" + code + "/status"
        }
    }

    /// What Vapor's router matches.
    var components: [PathComponent] { path.pathComponents }

    /// Every route with its parameters as placeholders (a test finds each one registered).
    static let patterns: [SiteRoute] = [
        .root, .password, .calendar, .adminUsers,
        .adminUserNew, .audit, .accessLog, .complaints, .complaintsCSV, .complaint(":id"), .complaintConclude(":id"), .myComplaints,
        .forecast, .forecastCSV, .policy, .policyArticle(":id"), .adminPolicy, .adminPolicyDelete(":id"),
        .myAppointments, .myAppointmentCancel(":id"), .myAppointmentMove(":id"), .appointments, .appointmentMark(":id"), .appointmentSchedule, .consultations, .consultation(":code"),
        .consultationOpinions(":code"), .dashboard, .dashboardTable(":table"), .estimate,
        .feeds, .feedJob(":id"), .healthz, .home,
        .hazards, .hazardNew, .hazardReport, .hazard(":id"), .hazardSteps(":id"), .hazardPhotos(":id"), .hazardPhoto(":id"), .hazardStats, .hazardStatsCSV, .hazardTypes,
        .houses, .house(":id"), .houseQR(":id"), .houseNew, .houseManagerDecision(":id", ":manager"),
        .myHouses, .myHouse(":id"), .myHouseArrival(":id"), .myHouseDeparture(":id", ":registration"), .registrationDispute(":id"),
        .landlords, .landlordRules, .language(":code"), .care, .login, .loginCode, .secondFactor, .adminUserStatus(":id"), .apiTokens, .apiTokenRevoke(":id"), .outbox, .outboxRetry(":id"), .logout, .materials, .adminMaterials, .adminMaterialDelete(":id"), .myHousehold, .myData, .myDataJSON, .privacy,
        .myIdentity, .myPermit, .myPermitEndorse, .myPoints, .myPermitCard, .permitVerification(":token"), .permitBenefits, .adminPermitBenefits, .adminPermitBenefitDelete(":id"),
        .myPrograms, .myProgramOffer(":number"), .myResidence, .moveOut(":id"), .metrics,
        .org(":code"), .performance, .performanceCSV, .permits, .permitAdvance(":id"), .permitReceipt(":id"), .permitReject(":id"),
        .pointApplications, .pointApplication(":id"), .pointApplicationReceipt(":id"), .pointApplicationClaims(":id"), .pointClaimDelete(":id", ":claim"),
        .pointClaimEvidence(":id", ":claim"), .pointApplicationReview(":id"), .pointApplicationSubmit(":id"), .pointArchive(":resident"),
        .pointArchiveEnd(":resident"), .pointArchiveFraud(":resident"), .pointClaim(":id"), .pointClaimDecision(":id"),
        .evidence(":id"), .pointsReview, .programs, .program(":code"),
        .programApplications(":code"), .programApply(":code"), .programObjections(":code"), .objectionAnswer(":code", ":id"), .objectionsClose(":code"),
        .programQuotas(":code"), .programQuotasCSV(":code"), .programQuotasPublish(":code"), .programApprovals(":code"), .programPriorityGroups(":code"), .priorityClaims, .priorityClaim(":id"), .programRounds(":code"), .programRecheck(":code"), .recheckDecision(":code", ":id"), .programDemand(":code"),
        .roundFinalize(":code", ":round"), .programSecond(":code"), .programNew, .publicity(":code", ":round"), .publicityPrint(":code", ":round"),
        .publicityObjections(":code", ":round"), .readyz, .register, .verify,
        .registrations, .registrationDecision(":id"), .registrationEnd(":id"), .arrival,
        .resident(":id"), .residentIdentity(":id"), .memberVerify(":id", ":member"), .residentLookup, .surveyForm(":code"), .simulate,
        .simulationJob(":id"), .standards, .standard(":code"), .standardPublish(":code"), .standardApprovals(":code"), .tieredServices,
        .standardsDiff, .standardNew, .surveys, .survey(":code"),
        .surveyCSV(":code"), .surveyStatus(":code"),
    ]
}

extension SiteRoute {
    /// The comparison of two versions of the scoring standard.
    static func standardDiff(from: String, to: String) -> String { standardsDiff.path + "?from=" + from + "&to=" + to }
}

/// The site-wide links every template may use (`#(links.programs)`), all from `SiteRoute`: no
/// template writes a path of its own.
struct SiteLinks: Encodable {
    /// The stylesheet and the icon, files of `Resources/Public` served as they are.
    let stylesheet = "/css/jifen.css"
    let icon = "/favicon.svg"
    /// The print button of receipts and notice-board prints.
    let printScript = "/js/print.js"
    let root = SiteRoute.root.path
    let myResidence = SiteRoute.myResidence.path
    let programs = SiteRoute.programs.path
    let pointApplications = SiteRoute.pointApplications.path
    let dashboard = SiteRoute.dashboard.path
    let simulate = SiteRoute.simulate.path
    let surveys = SiteRoute.surveys.path
    let consultations = SiteRoute.consultations.path
}
