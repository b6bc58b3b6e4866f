import Vapor

/// The page models of signing in, registering and confirming the code: each form as its fields.
extension AccountsController {
    struct LoginContent: Encodable {
        let fields: [FormField]
        let next: String
        let notice: String?
        var registerLink = SiteRoute.register.path
        var action = SiteRoute.login.path
        /// The demo's accounts skip the second factor; the page says so.
        let demoNotice: String?

        init(_ req: Request, form: FormState, next: String, notice: String? = nil) {
            demoNotice = req.application.jifenConfig.demo ? req.text("login_demo_totp") : nil
            fields = [form.field("login", req.text("field_login"), autocomplete: "username", required: true),
                      form.field("password", req.text("field_password"), .password, autocomplete: "current-password", required: true)]
            self.next = next
            self.notice = notice
        }
    }

    struct RegisterContent: Encodable {
        let fields: [FormField]
        var action = SiteRoute.register.path
        var loginLink = SiteRoute.login.path
        var privacyLink = SiteRoute.privacy.path

        init(_ req: Request, form: FormState) {
            fields = [
                form.field("phone", req.text("field_phone"), .tel, maxLength: 11, autocomplete: "tel", required: true),
                form.field("displayName", req.text("field_displayName"), maxLength: 30, autocomplete: "name", required: true),
                form.field("password", req.text("field_password"), .password, hint: req.text("register_password_hint"), autocomplete: "new-password", required: true),
                form.field("passwordConfirm", req.text("field_passwordConfirm"), .password, autocomplete: "new-password", required: true),
                form.field("acceptPrivacy", req.text("field_acceptPrivacy"), .checkbox, required: true),
            ]
        }
    }

    struct VerifyContent: Encodable {
        let fields: [FormField]
        var action = SiteRoute.verify.path
        var registerLink = SiteRoute.register.path
        /// The demo only: the text that would have gone to the phone.
        var demoText: String?

        init(_ req: Request, form: FormState, demoText: String? = nil) {
            fields = [form.field("phone", req.text("field_phone"), .tel, maxLength: 11, autocomplete: "tel", required: true),
                      form.field("code", req.text("field_code"), .number, maxLength: 6, autocomplete: "one-time-code", required: true)]
            self.demoText = demoText
        }
    }
}
