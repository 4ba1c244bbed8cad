import Foundation

/// What the SCIM service says of itself (RFC 7643 §5–7): its configuration, its two resource
/// types and their schemas. Exactly the attributes kept are published: a client builds its
/// model from them, and nothing is returned that is not declared here.
enum SCIMSchemas {
    static let userSchema = "urn:ietf:params:scim:schemas:core:2.0:User"
    static let groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
    static let listResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    static let patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    static let searchRequest = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
    static let error = "urn:ietf:params:scim:api:messages:2.0:Error"

    /// The largest page a list answers, and the page when a client gives no `count`.
    static let maxResults = 1000

    static func serviceProviderConfig(base: String) -> [String: Any] {
        [
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": ["supported": true],
            "bulk": ["supported": false, "maxOperations": 0, "maxPayloadSize": 0],
            "filter": ["supported": true, "maxResults": maxResults],
            "changePassword": ["supported": false],
            "sort": ["supported": false],
            "etag": ["supported": false],
            "authenticationSchemes": [[
                "type": "oauthbearertoken", "name": "Bearer token",
                "description": "An admin token of the tenant (sensor-ingest token create --scope admin --tenant NAME).",
                "primary": true,
            ]],
            "meta": ["resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"],
        ]
    }

    static func resourceTypes(base: String) -> [[String: Any]] {
        [("User", "/Users", userSchema, "A person: the devices linked to them are theirs in every total."),
         ("Group", "/Groups", groupSchema, "A team of people.")].map { name, endpoint, schema, description in
            [
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                "id": name, "name": name, "endpoint": endpoint, "description": description, "schema": schema,
                "meta": ["resourceType": "ResourceType", "location": base + "/ResourceTypes/" + name],
            ]
        }
    }

    private static func attribute(_ name: String, type: String = "string", multiValued: Bool = false, required: Bool = false,
                                  caseExact: Bool = false, mutability: String = "readWrite", returned: String = "default",
                                  uniqueness: String = "none", description: String, canonicalValues: [String]? = nil,
                                  referenceTypes: [String]? = nil, subAttributes: [[String: Any]]? = nil) -> [String: Any] {
        var attribute: [String: Any] = [
            "name": name, "type": type, "multiValued": multiValued, "description": description, "required": required,
            "caseExact": caseExact, "mutability": mutability, "returned": returned, "uniqueness": uniqueness,
        ]
        if let canonicalValues { attribute["canonicalValues"] = canonicalValues }
        if let referenceTypes { attribute["referenceTypes"] = referenceTypes }
        if let subAttributes { attribute["subAttributes"] = subAttributes }
        return attribute
    }

    static func schemas(base: String) -> [[String: Any]] {
        let user: [[String: Any]] = [
            attribute("userName", required: true, uniqueness: "server",
                      description: "The person's sign-in name; an email, which links the devices whose tools sign in with it."),
            attribute("name", type: "complex", description: "The person's name.", subAttributes: [
                attribute("formatted", description: "The full name."),
                attribute("familyName", description: "The family name."),
                attribute("givenName", description: "The given name."),
            ]),
            attribute("displayName", description: "The name shown."),
            attribute("active", type: "boolean", description: "Whether the person is active; false deactivates them."),
            attribute("emails", type: "complex", multiValued: true, description: "Email addresses.", subAttributes: [
                attribute("value", description: "An email address."),
                attribute("type", description: "work, home or other.", canonicalValues: ["work", "home", "other"]),
                attribute("primary", type: "boolean", description: "The primary address."),
            ]),
            attribute("groups", type: "complex", multiValued: true, mutability: "readOnly",
                      description: "The teams the person is in (set through Groups).", subAttributes: [
                attribute("value", mutability: "readOnly", description: "The team's id."),
                attribute("$ref", type: "reference", mutability: "readOnly", description: "The team's URI.", referenceTypes: ["Group"]),
                attribute("display", mutability: "readOnly", description: "The team's name."),
            ]),
        ]
        let group: [[String: Any]] = [
            attribute("displayName", required: true, uniqueness: "server", description: "The team's name."),
            attribute("members", type: "complex", multiValued: true, description: "The people in the team.", subAttributes: [
                attribute("value", mutability: "immutable", description: "A User's id."),
                attribute("$ref", type: "reference", mutability: "immutable", description: "The User's URI.", referenceTypes: ["User", "Group"]),
                attribute("type", mutability: "immutable", description: "User.", canonicalValues: ["User", "Group"]),
                attribute("display", description: "The member's name."),
            ]),
        ]
        return [(userSchema, "User", "A person", user), (groupSchema, "Group", "A team", group)].map { id, name, description, attributes in
            [
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
                "id": id, "name": name, "description": description, "attributes": attributes,
                "meta": ["resourceType": "Schema", "location": base + "/Schemas/" + id],
            ]
        }
    }
}
