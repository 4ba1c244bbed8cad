import Mustache

/// Text that may be absent, for templates: absent or empty, a section over it renders nothing
/// and an inverted one renders, and a name that holds it never falls through to an outer
/// context's value of the same name (as a nil optional would).
struct MaybeText: MustacheCustomRenderable, Sendable {
    var value: String?
    init(_ value: String?) { self.value = value }
    var renderText: String { value ?? "" }
    var isNull: Bool { value?.isEmpty ?? true }
}

/// What every page's layout needs: the title, whether someone is signed in, which tab is open.
struct Navigation: Sendable {
    var overview = false
    var sessions = false
    var search = false
    var devices = false
    var drift = false
}

/// A choice in a `<select>`.
struct Choice: Sendable {
    var value: String
    var label: String
    var selected: Bool
}

struct LoginPage {
    var title = "Sign in"
    var signedIn = false
    var nav = Navigation()
    var error: MaybeText
    var next: String
}

struct ErrorPage {
    var title: String
    var signedIn: Bool
    var nav = Navigation()
    var heading: String
    var message: String
}

struct OverviewPage {
    struct Window { var value: String; var label: String; var current: Bool }
    struct Totals { var sessions: String; var responses: String; var tokens: String; var cost: String }
    struct LeaderRow { var name: String; var link: MaybeText; var tokens: String; var cost: String; var sessions: String }
    struct LeaderTable { var id: String; var heading: String; var column: String; var rows: [LeaderRow] }
    var title = "Overview"
    var signedIn = true
    var nav = Navigation(overview: true)
    var windows: [Window]
    var totals: Totals
    var latest: MaybeText
    var charts: [UsageChart]
    var leaders: [LeaderTable]
}

struct SessionsPage {
    struct Row {
        var id: String
        var tool: String
        var deleted: Bool
        var project: String
        var label: String
        var device: String
        var deviceShort: String
        var started: String
        var duration: String
        var messages: String
        var toolCalls: String
        var tokens: String
        var cost: String
    }
    var title = "Sessions"
    var signedIn = true
    var nav = Navigation(sessions: true)
    var tools: [Choice]
    var devices: [Choice]
    var models: [Choice]
    var sorts: [Choice]
    var project: String
    var since: String
    var until: String
    var includeEmpty: Bool
    var rows: [Row]
    var page: Int
    var previous: MaybeText
    var next: MaybeText
}

struct SessionPage {
    struct TreeItem { var id: String; var label: String; var tool: String; var depth: Int; var relation: MaybeText; var current: Bool }
    struct DiffLine { var style: String; var text: String }
    struct Change { var path: String; var lines: [DiffLine] }
    struct Call {
        var id: String
        var name: String
        var isError: Bool
        var duration: MaybeText
        var input: MaybeText
        var result: MaybeText
        var changes: [Change]
    }
    struct Item {
        var id: String
        var role: String
        var kind: String
        var model: MaybeText
        var createdAt: String
        var compaction: Bool
        var thinking: Bool
        var plain: Bool
        /// A tool's output sent back as a message (folded: the call above shows it too).
        var toolResult: Bool
        var text: String
        var calls: [Call]
        var usage: MaybeText
    }
    var title: String
    var signedIn = true
    var nav = Navigation(sessions: true)
    var label: String
    var session: NormalizedReader.Session
    var started: String
    var duration: String
    var models: String
    var tokens: String
    var cost: String
    /// "2 secrets redacted: aws-access-token, generic-secret" in the session's files.
    var redactions: MaybeText
    var hasTree: Bool
    var tree: [TreeItem]
    var items: [Item]
    var hasLooseChanges: Bool
    var looseChanges: [Change]
    /// A conversation longer than a page: which messages are shown, and links to the others.
    var paged: Bool
    var range: String
    var earlier: MaybeText
    var later: MaybeText
}

struct RawPage {
    struct Envelope { var id: String; var receivedAt: String; var json: String }
    var title: String
    var signedIn = true
    var nav = Navigation()
    var heading: String
    var back: MaybeText
    var envelopes: [Envelope]
}

struct SearchPage {
    struct Hit {
        var sessionId: String
        /// The message to open the conversation at (its page).
        var messageId: MaybeText
        var anchor: MaybeText
        var title: String
        var tool: String
        var what: String
        var createdAt: MaybeText
        /// The text around the match, the matches flagged.
        var snippet: [SnippetPart]
    }
    struct SnippetPart { var text: String; var marked: Bool }
    var title = "Search"
    var signedIn = true
    var nav = Navigation(search: true)
    var query: String
    var searched: Bool
    var count: Int
    var capped: Bool
    var hits: [Hit]
}

struct DevicesPage {
    struct Spark { var day: String; var count: String; var x: String; var y: String; var width: String; var height: String }
    struct Row {
        var device: String
        var link: String
        var tools: String
        var sensor: String
        var envelopes: String
        var lastReceived: String
        var behind: String
        var sparkWidth: Int
        var spark: [Spark]
        /// "2 secrets redacted: aws-access-token, generic-secret", or empty.
        var redactions: String
    }
    var title = "Devices"
    var signedIn = true
    var nav = Navigation(devices: true)
    var days: Int
    var rows: [Row]
}

struct DriftPage {
    struct Row {
        var tool: String
        var toolVersion: String
        var kind: String
        var reason: String
        var name: String
        var count: String
        var firstSeen: String
        var lastSeen: String
        var exampleId: MaybeText
    }
    var title = "Drift"
    var signedIn = true
    var nav = Navigation(drift: true)
    var rows: [Row]
}

// The rows a page repeats hundreds or thousands of times name their fields for the templates
// directly: looking them up by reflection cost most of a 5,000-message session's rendering.

extension SessionPage.Item: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": return id
        case "role": return role
        case "kind": return kind
        case "model": return model
        case "createdAt": return createdAt
        case "compaction": return compaction
        case "thinking": return thinking
        case "plain": return plain
        case "toolResult": return toolResult
        case "text": return text
        case "calls": return calls
        case "usage": return usage
        default: return nil
        }
    }
}

extension SessionPage.Call: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": return id
        case "name": return self.name
        case "isError": return isError
        case "duration": return duration
        case "input": return input
        case "result": return result
        case "changes": return changes
        default: return nil
        }
    }
}

extension SessionPage.Change: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "path": return path
        case "lines": return lines
        default: return nil
        }
    }
}

extension SessionPage.DiffLine: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "style": return style
        case "text": return text
        default: return nil
        }
    }
}

extension SessionsPage.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": return id
        case "tool": return tool
        case "deleted": return deleted
        case "project": return project
        case "label": return label
        case "device": return device
        case "deviceShort": return deviceShort
        case "started": return started
        case "duration": return duration
        case "messages": return messages
        case "toolCalls": return toolCalls
        case "tokens": return tokens
        case "cost": return cost
        default: return nil
        }
    }
}

extension SearchPage.Hit: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "sessionId": return sessionId
        case "messageId": return messageId
        case "anchor": return anchor
        case "title": return title
        case "tool": return tool
        case "what": return what
        case "createdAt": return createdAt
        case "snippet": return snippet
        default: return nil
        }
    }
}

extension SearchPage.SnippetPart: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "text": return text
        case "marked": return marked
        default: return nil
        }
    }
}

extension UsageChart.Bar: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "day": return day
        case "tool": return tool
        case "series": return series
        case "x": return x
        case "y": return y
        case "width": return width
        case "height": return height
        case "value": return value
        default: return nil
        }
    }
}
