import Access
import Foundation
import Hummingbird
import IngestStore

/// Enrollment and short-lived tokens (docs/ingest-server.md, "Enrollment"):
/// - `POST /api/v1/enroll` with an enrollment secret and `{"device": "d-…"}`: a device
///   credential bound to that device (a device enrolled again gets a new one and stays one
///   device; a secret past its devices is refused).
/// - `POST /api/v1/token` with a device credential: an ingest token of that device that lives
///   15 minutes.
/// - `POST /api/v1/open` with a device credential: a one-time link that signs a browser in as the
///   device's person (linked by an admin or a personal secret), with `self` (`sensor open`).
struct EnrollmentHandler: Sendable {
    let store: any IngestStore
    let authenticator: BearerAuthenticator

    /// `credential`: the device's current credential, when it enrolls again (a rotation).
    struct EnrollRequest: Decodable { var device: String; var credential: String? }
    struct Credential: Encodable { var device: String; var credential: String }
    struct AccessToken: Encodable { var device: String; var token: String; var expiresIn: Int }

    func enroll(_ request: Request, context: IngestRequestContext) async throws -> Response {
        let secret: TokenRecord
        switch await authenticator.authorize(request, context: context, scope: .enroll) {
        case .failure(let refusal): return refusal.response
        case .success(let token): secret = token
        }
        let body = try await request.body.collect(upTo: 4096)
        guard let asked = try? JSONDecoder().decode(EnrollRequest.self, from: body),
              (1...200).contains(asked.device.utf8.count), EnvelopeValidator.isDeviceName(asked.device) else {
            return JSONAnswer.error(.badRequest, #"give {"device": "<this sensor's device id>"}: 1 to 200 characters, no '/', '|' or control character"#)
        }
        let device = asked.device
        let earlier = try await Enrollments.enrolled(device: device, tenant: secret.tenantID, in: store)
        if earlier?.revoked == true {
            return JSONAnswer.error(.forbidden, "device \(device) was revoked by an admin (`sensor-ingest device revoke \(device) --let-back` lets it back)")
        }
        // A device enrolled already is its credential holder's: enrolling it again needs that
        // credential (the same machine rotating it), or an admin's revocation and let-back first.
        if let earlier, try await Enrollments.credentialIsLive(earlier, in: store) {
            var presented: TokenRecord?
            if let credential = asked.credential { presented = try await store.token(withHash: TokenSecret.hash(credential)) }
            guard presented?.id == earlier.credentialID else {
                return JSONAnswer.error(.conflict, "device \(device) is enrolled already: enroll it again from the machine that holds its credential, or have an admin run `sensor-ingest device revoke \(device)` then `--let-back`")
            }
        }
        if earlier == nil, let limit = try await Enrollments.maxDevices(enrollment: secret.id, in: store),
           try await Enrollments.enrolledCount(enrollment: secret.id, in: store) >= limit {
            return JSONAnswer.error(.forbidden, "this enrollment secret has enrolled its \(limit) device(s); ask for another")
        }
        // The device's earlier credential, and the access tokens it got, stop working now.
        try await Enrollments.revokeTokens(of: device, tenant: secret.tenantID, in: store)
        let credential = TokenSecret.generate()
        let record = try await store.createToken(NewToken(name: Enrollments.credentialName(device), hash: TokenSecret.hash(credential),
                                                          scope: .device, tenantID: secret.tenantID, device: device))
        var statements = [Enrollments.record(device: device, tenant: secret.tenantID, enrollment: earlier?.enrollmentID ?? secret.id,
                                             credential: record.id)]
        // A personal secret says whose device this is.
        if let email = try await Enrollments.person(enrollment: secret.id, in: store) {
            let person = try await PeopleDirectory.upsert(.init(email: email), origin: DeviceLink.enrollment.rawValue,
                                                          tenant: secret.tenantID, in: store)
            statements.append(PeopleDirectory.link(device: device, to: person.id, by: .enrollment, tenant: secret.tenantID))
        }
        try await store.execute(statements)
        return JSONAnswer.json(.ok, Credential(device: device, credential: credential))
    }

    struct SignInLink: Encodable { var url: String; var person: String; var expiresIn: Int }

    func open(_ request: Request, context: IngestRequestContext) async throws -> Response {
        // Only an enrolled device's credential vouches: a laptop token binds to whatever device
        // it first names, which proves nothing about whose device it is.
        let token: TokenRecord
        switch await authenticator.authorize(request, context: context, scope: .device) {
        case .failure(let refusal): return refusal.response
        case .success(let record): token = record
        }
        guard token.scope == .device, let device = token.device else {
            return JSONAnswer.error(.forbidden, "a sign-in link is vouched for by an enrolled device's credential (sensor enroll)")
        }
        // A person linked by an admin or by a personal enrollment secret, not by the accounts the
        // laptop itself reports (it could name anyone).
        guard let owner = try await PeopleDirectory.owner(of: device, tenant: token.tenantID, in: store),
              owner.link == DeviceLink.admin.rawValue || owner.link == DeviceLink.enrollment.rawValue else {
            return JSONAnswer.error(.forbidden, "device \(device) belongs to no person yet: an admin links it (`sensor-ingest person assign \(device) EMAIL`) or enrolls it with a personal secret (`enrollment create --person`)")
        }
        guard owner.person.active else { return JSONAnswer.error(.forbidden, "\(owner.person.email) is deactivated") }
        let code = try await SignInLinks.create(person: owner.person.id, device: device, tenant: token.tenantID, in: store)
        return JSONAnswer.json(.ok, SignInLink(url: "/login/once/\(code)", person: owner.person.email, expiresIn: Int(SignInLinks.lifetime)),
                               encoder: JSONEncoder(outputFormatting: [.sortedKeys], keys: .convertToSnakeCase))
    }

    func token(_ request: Request, context: IngestRequestContext) async throws -> Response {
        let credential: TokenRecord
        switch await authenticator.authorize(request, context: context, scope: .device) {
        case .failure(let refusal): return refusal.response
        case .success(let token): credential = token
        }
        guard credential.scope == .device, let device = credential.device else {
            return JSONAnswer.error(.forbidden, "only a device credential gets access tokens")
        }
        try await store.execute([Enrollments.dropExpiredAccess(device: device, tenant: credential.tenantID, dialect: store.dialect)])
        let secret = TokenSecret.generate()
        _ = try await store.createToken(NewToken(name: Enrollments.accessName(device), hash: TokenSecret.hash(secret), scope: .ingest,
                                                 tenantID: credential.tenantID, expiresAt: Date().addingTimeInterval(Enrollments.accessLifetime),
                                                 device: device))
        return JSONAnswer.json(.ok, AccessToken(device: device, token: secret, expiresIn: Int(Enrollments.accessLifetime)),
                               encoder: JSONEncoder(outputFormatting: [.sortedKeys], keys: .convertToSnakeCase))
    }
}
