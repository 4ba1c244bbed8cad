import ArgumentParser
import IngestStore

/// `--tenant`, and the team or person a budget, a hold or an erasure is about, resolved to ids.
struct PromiseTarget: ParsableArguments {
    @Option(help: ArgumentHelp("The tenant.", valueName: "name"))
    var tenant = "default"

    @Option(help: ArgumentHelp("A team, by name.", valueName: "name"))
    var team: String?

    @Option(help: ArgumentHelp("A person, by email.", valueName: "email"))
    var person: String?

    func validate() throws {
        if team != nil && person != nil { throw ValidationError("give --team or --person, not both") }
    }

    /// The tenant's id, the scope (`tenant`, `team` or `person`) and the team's or person's id.
    func resolve(in store: any IngestStore) async throws -> (tenant: Int64, scope: String, target: String) {
        let tenant = try await TokenCommand.tenant(named: self.tenant, in: store).id
        if let team {
            guard let record = try await PeopleDirectory.team(named: team, tenant: tenant, in: store) else {
                throw ValidationError("no team \(team) in tenant \(self.tenant) (`sensor-ingest person list` shows them)")
            }
            return (tenant, "team", record.id)
        }
        if let person {
            guard let record = try await PeopleDirectory.person(email: person, tenant: tenant, in: store) else {
                throw ValidationError("no person \(person) in tenant \(self.tenant) (`sensor-ingest person list` shows them)")
            }
            return (tenant, "person", record.id)
        }
        return (tenant, "tenant", "")
    }
}

/// A number of days written `90`, `90d`, or `forever` (nil).
struct Days: ExpressibleByArgument {
    var days: Int?

    init?(argument: String) {
        if argument == "forever" { days = nil; return }
        guard let value = Int(argument.hasSuffix("d") ? String(argument.dropLast()) : argument), value > 0, value <= 36_500 else { return nil }
        days = value
    }
}
