import Foundation

/// Turns a merged source node into a ``SourceDeclaration`` and checks what the schema alone
/// cannot: completeness after merging, format/strategy pairs, `:cursor` in cursor queries,
/// key columns for keyed rows, and globs that can never match.
struct SourceDecoder {
    var settings: SensorSettings

    private static let strategiesByFormat: [RecordFormat: [OffsetStrategy]] = [
        .jsonl: [.byte], .sqlite: [.cursor, .keyed], .json: [.snapshot], .text: [.snapshot, .byte], .blob: [.snapshot],
    ]

    func decode(_ node: ConfigNode, id: String) -> (SourceDeclaration?, [ConfigProblem]) {
        var problems: [ConfigProblem] = []
        func problem(_ field: String, _ reason: String, at location: SourceLocation? = nil) {
            problems.append(ConfigProblem(location ?? node[field]?.location ?? node.location,
                                          field: "\(id).\(field)", reason))
        }
        func missing(_ field: String) { problem(field, "required field is missing (in no layer)", at: node.location) }

        let enabled = node["enabled"]?.bool ?? true
        let format = node["format"]?.string.flatMap(RecordFormat.init(rawValue:))
        let offset = node["offset"]?.string.flatMap(OffsetStrategy.init(rawValue:))
        let kind = node["kind"]?.string
        for field in ["kind", "format", "offset", "include", "roots"] where node[field] == nil { missing(field) }
        guard let format, let offset, let kind else {
            guard !enabled else { return (nil, problems) }
            // Only switches off a source declared in a layer that is not loaded here.
            var declaration = SourceDeclaration(id: id, kind: kind ?? id, format: format ?? .jsonl, offset: offset ?? .byte)
            declaration.enabled = false
            return (declaration, problems)
        }

        var declaration = SourceDeclaration(id: id, kind: kind, format: format, offset: offset)
        declaration.name = node["name"]?.string ?? id
        declaration.tool = node["tool"]?.string
        declaration.enabled = enabled
        declaration.priority = node["priority"]?.integer ?? 100
        declaration.include = node["include"]?.strings ?? []
        declaration.exclude = node["exclude"]?.strings ?? []
        declaration.followSymlinks = node["follow_symlinks"]?.bool ?? false
        declaration.maxRecordBytes = node["max_record_bytes"]?.integer ?? settings.defaultMaxRecordBytes
        declaration.fingerprintLines = node["fingerprint_lines"]?.integer ?? 1
        declaration.pollInterval = node["poll_interval"]?.number ?? settings.defaultPollInterval
        declaration.deniedKeys = node["deny"]?["keys"]?.strings ?? []
        declaration.deniedColumns = node["deny"]?["columns"]?.strings ?? []
        declaration.stripNul = node["jsonl"]?["strip_nul"]?.bool ?? true
        if let compression = node["jsonl"]?["compression"] {
            if let value = compression.string.flatMap(LineCompression.init(rawValue:)) {
                declaration.compression = value
            }
            if format != .jsonl {
                problems.append(ConfigProblem(compression.location, field: "\(id).jsonl.compression", "compression applies to format: jsonl files"))
            }
        }
        declaration.identity = node["identity"]?.bool ?? false
        if let fieldsNode = node["fields"] {
            do {
                declaration.fields = try FieldProjection(fieldsNode.strings)
            } catch {
                problems.append(ConfigProblem(fieldsNode.location, field: "\(id).fields", error.description))
            }
            if format != .json {
                problems.append(ConfigProblem(fieldsNode.location, field: "\(id).fields", "fields applies to format: json documents"))
            }
        }

        if let roots = node["roots"] {
            declaration.roots.all = roots["default"]?.strings ?? []
            declaration.roots.macOS = roots["macos"]?.strings
            declaration.roots.linux = roots["linux"]?.strings
            declaration.roots.windows = roots["windows"]?.strings
            declaration.roots.split = roots["split"]?.string?.first
            if let registry = roots["registry"], let pathField = registry["path_field"]?.string {
                var listed = RegistryRoots(files: registry["files"]?.strings ?? [], pathField: pathField)
                listed.folderField = registry["folder_field"]?.string
                listed.folder = registry["folder"]?.string
                declaration.roots.registry = listed
            }
            if declaration.roots.registry == nil && OperatingSystem.allCases.allSatisfy({ declaration.roots.templates(for: $0).isEmpty }) {
                problem("roots", "no root for any operating system", at: roots.location)
            }
        }

        if let allowed = Self.strategiesByFormat[format], !allowed.contains(offset) {
            problem("offset", "format \(format.rawValue) reads with \(allowed.map(\.rawValue).joined(separator: " or ")), not \(offset.rawValue)")
        }

        for (field, patterns) in [("include", node["include"]), ("exclude", node["exclude"])] {
            for patternNode in patterns?.elements ?? [] {
                guard let pattern = patternNode.string else { continue }
                if let reason = Glob.problem(in: pattern) {
                    problem(field, "glob '\(pattern)' can never match: \(reason)", at: patternNode.location)
                }
            }
        }

        if format == .sqlite {
            declaration.sqlite = decodeSQLite(node["sqlite"], offset: offset, id: id, problem: problem)
            if node["sqlite"] == nil { missing("sqlite") }
        } else if node["sqlite"] != nil {
            problem("sqlite", "only sources of format sqlite take a sqlite block")
        }
        return (declaration, problems)
    }

    private func decodeSQLite(_ node: ConfigNode?, offset: OffsetStrategy, id: String,
                              problem: (String, String, SourceLocation?) -> Void) -> SQLiteOptions? {
        guard let node else { return nil }
        guard let query = node["query"]?.string else {
            problem("sqlite.query", "required field is missing (in no layer)", node.location)
            return nil
        }
        var options = SQLiteOptions(query: query)
        options.pageSize = node["page_size"]?.integer ?? 1000
        options.cursorColumn = node["cursor_column"]?.string
        if let initial = node["initial_cursor"].flatMap(SQLValue.init) { options.initialCursor = initial }
        options.keyColumns = node["key_columns"]?.strings ?? []
        options.requiredTables = node["required_tables"]?.strings ?? []
        options.busyTimeoutMilliseconds = node["busy_timeout_ms"]?.integer ?? 2000
        for entry in node["params"]?.entries ?? [] {
            if let value = SQLValue(entry.node) { options.params[entry.key] = value }
        }
        for entry in node["columns"]?.entries ?? [] {
            if let encoding = entry.node.string.flatMap(ColumnEncoding.init(rawValue:)) { options.columns[entry.key] = encoding }
        }

        let queryLocation = node["query"]?.location
        let parameters = SQLParameters.names(in: query)
        if offset == .cursor && !parameters.contains("cursor") {
            problem("sqlite.query", "a cursor source must bind :cursor in its query (e.g. WHERE rowid > :cursor)", queryLocation)
        }
        if offset == .keyed && options.keyColumns.isEmpty {
            problem("sqlite.key_columns", "a keyed source must name the columns that identify a row", node.location)
        }
        for name in parameters where !["cursor", "limit"].contains(name) && options.params[name] == nil {
            problem("sqlite.query", "parameter :\(name) is bound by nothing (add it to sqlite.params)", queryLocation)
        }
        let statementStart = query.trimmingCharacters(in: .whitespacesAndNewlines).prefix(6).lowercased()
        if !["select", "with", "with\n", "values"].contains(where: { statementStart.hasPrefix($0) }) {
            problem("sqlite.query", "must be a SELECT (or WITH … SELECT): the sensor never writes to another app's database", queryLocation)
        }
        return options
    }
}

/// Finds the named parameters (`:name`, `$name`, `@name`) of an SQL text, outside string literals.
public enum SQLParameters {
    public static func names(in sql: String) -> Set<String> {
        var names = Set<String>()
        let scalars = Array(sql.unicodeScalars)
        var index = 0
        var quote: Unicode.Scalar?
        while index < scalars.count {
            let c = scalars[index]
            if let open = quote {
                if c == open { quote = nil }
                index += 1
                continue
            }
            if c == "'" || c == "\"" {
                quote = c
            } else if c == "-" && index + 1 < scalars.count && scalars[index + 1] == "-" {
                while index < scalars.count && scalars[index] != "\n" { index += 1 }
            } else if (c == ":" || c == "$" || c == "@"), index + 1 < scalars.count,
                      isIdentifier(scalars[index + 1]), index == 0 || scalars[index - 1] != ":" {
                var end = index + 1
                while end < scalars.count && isIdentifier(scalars[end]) { end += 1 }
                names.insert(String(String.UnicodeScalarView(scalars[(index + 1)..<end])))
                index = end
                continue
            }
            index += 1
        }
        return names
    }

    private static func isIdentifier(_ c: Unicode.Scalar) -> Bool {
        c == "_" || (c.properties.isAlphabetic && c.isASCII) || ("0"..."9").contains(c)
    }
}

/// Checks that a redaction rule's pattern compiles.
enum RedactionPatternCheck {
    static func problem(_ rule: RedactionRule) -> String? {
        do {
            _ = try NSRegularExpression(pattern: rule.pattern)
            return nil
        } catch {
            return "not a valid regular expression: \(rule.pattern)"
        }
    }
}
