import IngestStore
import Normalization
import Access
import Mustache

/// Text that may be absent, for templates: absent or empty, a section over it renders nothing
/// and an inverted one renders, and a name that holds it never falls through to an outer
/// context's value of the same name (as a nil optional would).
package struct MaybeText: MustacheCustomRenderable, Sendable {
    package var value: String?
    package init(_ value: String?) { self.value = value }
    package var renderText: String { value ?? "" }
    package var isNull: Bool { value?.isEmpty ?? true }
}

/// What every page's layout needs: the title, whether someone is signed in, which tab is open.
package struct Navigation: Sendable {
    package var overview = false
    package var sessions = false
    package var search = false
    package var devices = false
    package var drift = false
    package var people = false
    package var accounts = false
    package var access = false
}

/// A choice in a `<select>`.
package struct Choice: Sendable {
    package var value: String
    package var label: String
    package var selected: Bool
}

package struct LoginPage {
    package var title = "Sign in"
    package var signedIn = false
    package var nav = Navigation()
    package var error: MaybeText
    package var next: String
    /// A sign-in link per tenant with single sign-on.
    package struct Provider { var tenant: String; var link: String }
    package var providers: [Provider] = []
}

package struct ErrorPage {
    package var title: String
    package var signedIn: Bool
    package var nav = Navigation()
    package var heading: String
    package var message: String
}

package struct OverviewPage {
    package struct Window { var value: String; var label: String; var current: Bool; var link: String }
    package struct Totals { var sessions: String; var responses: String; var tokens: String; var cost: String }
    package struct LeaderRow { var name: String; var link: MaybeText; var tokens: String; var cost: String; var sessions: String }
    package struct LeaderTable { var id: String; var heading: String; var column: String; var rows: [LeaderRow] }
    package var title = "Overview"
    package var signedIn = true
    package var nav = Navigation(overview: true)
    /// Whose figures: a person's or a team's name, when the overview is filtered to one.
    package var scope: MaybeText
    package var windows: [Window]
    package var totals: Totals
    package var latest: MaybeText
    package var charts: [UsageChart]
    var leaders: [LeaderTable]
    /// The budgets of what the overview shows (the tenant's, or the person's or team's).
    var budgets: [BudgetRow] = [] {
        didSet { hasBudgets = !budgets.isEmpty }
    }
    /// Set with `budgets` (templates see stored values only).
    private(set) var hasBudgets = false

    package struct BudgetRow {
        var label: String
        var period: String
        var used: String
        var limit: String
        var percent: String
        /// 0…100, for the bar's width.
        var width: String
        var level: MaybeText
    }
}

package struct SessionsPage {
    package struct Row {
        package var id: String
        package var tool: String
        package var deleted: Bool
        package var project: String
        package var label: String
        package var device: String
        var deviceShort: String
        package var started: String
        package var duration: String
        package var messages: String
        package var toolCalls: String
        package var tokens: String
        package var cost: String
    }
    package var title = "Sessions"
    package var signedIn = true
    package var nav = Navigation(sessions: true)
    package var tools: [Choice]
    package var devices: [Choice]
    package var models: [Choice]
    package var people: [Choice]
    package var teams: [Choice]
    package var sorts: [Choice]
    package var project: String
    package var since: String
    package var until: String
    package var includeEmpty: Bool
    package var rows: [Row]
    package var page: Int
    package var previous: MaybeText
    package var next: MaybeText
}

package struct SessionPage {
    package struct TreeItem { var id: String; var label: String; var tool: String; var depth: Int; var relation: MaybeText; var current: Bool }
    package struct DiffLine { var style: String; var text: String }
    package struct Change { var path: String; var lines: [DiffLine] }
    package struct Call {
        package var id: String
        package var name: String
        package var isError: Bool
        package var duration: MaybeText
        package var input: MaybeText
        package var result: MaybeText
        package var changes: [Change]
    }
    package struct Item {
        package var id: String
        package var role: String
        package var kind: String
        package var model: MaybeText
        package var createdAt: String
        package var compaction: Bool
        package var thinking: Bool
        package var plain: Bool
        /// The text as safe HTML (``MarkdownRendering``), for an assistant's text.
        package var markdown: MaybeText
        /// A tool's output sent back as a message (folded: the call above shows it too).
        package var toolResult: Bool
        package var text: String
        package var calls: [Call]
        package var usage: MaybeText
    }
    package var title: String
    package var signedIn = true
    package var nav = Navigation(sessions: true)
    package var label: String
    package var session: NormalizedReader.Session
    /// The person the session's device belongs to.
    package var person: MaybeText
    package var started: String
    package var duration: String
    package var models: String
    package var tokens: String
    package var cost: String
    /// "2 secrets redacted: aws-access-token, generic-secret" in the session's files.
    package var redactions: MaybeText
    var hasTree: Bool
    package var tree: [TreeItem]
    package var items: [Item]
    var hasLooseChanges: Bool
    var looseChanges: [Change]
    /// A conversation longer than a page: which messages are shown, and links to the others.
    package var paged: Bool
    package var range: String
    package var earlier: MaybeText
    package var later: MaybeText
}

package struct RawPage {
    package struct Envelope { var id: String; var receivedAt: String; var json: String }
    package var title: String
    package var signedIn = true
    package var nav = Navigation()
    package var heading: String
    package var back: MaybeText
    package var envelopes: [Envelope]
}

package struct SearchPage {
    package struct Hit {
        package var sessionId: String
        /// The message to open the conversation at (its page).
        package var messageId: MaybeText
        package var anchor: MaybeText
        package var title: String
        package var tool: String
        package var what: String
        package var createdAt: MaybeText
        /// The text around the match, the matches flagged.
        package var snippet: [SnippetPart]
    }
    package struct SnippetPart { var text: String; var marked: Bool }
    package var title = "Search"
    package var signedIn = true
    package var nav = Navigation(search: true)
    package var query: String
    package var people: [Choice] = []
    package var teams: [Choice] = []
    package var searched: Bool
    package var count: Int
    package var capped: Bool
    package var hits: [Hit]
}

package struct DevicesPage {
    package struct Row {
        package var device: String
        package var link: String
        package var tools: String
        package var sensor: String
        package var envelopes: String
        var lastReceived: String
        package var behind: String
        var sparkWidth: Int
        /// The bars of envelopes per day, as SVG (``DevicesPage/sparkBars(_:)``).
        package var sparkBars: String
        /// "2 secrets redacted: aws-access-token, generic-secret", or empty.
        package var redactions: String
        /// What its sensor says of the machine: host name, system, account, since when.
        package var host: String
        package var system: String
        package var user: String
        package var firstSeen: String
        package var enrolledBy: String
        /// The person the device belongs to.
        package var person: String
    }
    package var title = "Devices"
    package var signedIn = true
    package var nav = Navigation(devices: true)
    package var days: Int
    package var rows: [Row]

    /// One bar a day, scaled to the busiest, each titled with its day and count: SVG written
    /// here rather than by the template (a thousand devices' fourteen bars were most of the
    /// page's lookups). Only dates and numbers made here go in, escaped all the same.
    package static func sparkBars(_ perDay: [(day: String, count: Int64)]) -> String {
        let peak = max(1, perDay.map(\.count).max() ?? 1)
        var svg = ""
        svg.reserveCapacity(perDay.count * 72)
        for (index, day) in perDay.enumerated() {
            let height = day.count == 0 ? 0 : max(1, 22 * Double(day.count) / Double(peak))
            svg += "<rect x=\"\(index * 6)\" y=\"\(UsageChart.number(23 - height))\" width=\"5\" height=\"\(UsageChart.number(height))\">"
            svg += "<title>\(HTMLEscaping().escapeText(day.day)): \(DisplayFormat.count(day.count))</title></rect>"
        }
        return svg
    }
}

package struct DriftPage {
    package struct Row {
        package var tool: String
        package var toolVersion: String
        package var kind: String
        package var reason: String
        package var name: String
        package var count: String
        package var firstSeen: String
        package var lastSeen: String
        package var exampleId: MaybeText
        /// The mapping file or Swift normaliser that met the records, and the change that takes them.
        package var normalizer: String
        package var action: String
    }
    package var title = "Drift"
    package var signedIn = true
    package var nav = Navigation(drift: true)
    package var rows: [Row]
}

// The rows a page repeats hundreds or thousands of times name their fields for the templates
// directly: looking them up by reflection cost most of a 5,000-message session's rendering.

extension SessionPage.Item: MustacheParent {
    package func child(named name: String) -> Any? {
        switch name {
        case "id": return id
        case "role": return role
        case "kind": return kind
        case "model": return model
        case "createdAt": return createdAt
        case "compaction": return compaction
        case "thinking": return thinking
        case "plain": return plain
        case "markdown": return markdown
        case "toolResult": return toolResult
        case "text": return text
        case "calls": return calls
        case "usage": return usage
        default: return nil
        }
    }
}

extension SessionPage.Call: MustacheParent {
    package func child(named name: String) -> Any? {
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
    package func child(named name: String) -> Any? {
        switch name {
        case "path": return path
        case "lines": return lines
        default: return nil
        }
    }
}

extension SessionPage.DiffLine: MustacheParent {
    package func child(named name: String) -> Any? {
        switch name {
        case "style": return style
        case "text": return text
        default: return nil
        }
    }
}

extension SessionsPage.Row: MustacheParent {
    package func child(named name: String) -> Any? {
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
    package func child(named name: String) -> Any? {
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
    package func child(named name: String) -> Any? {
        switch name {
        case "text": return text
        case "marked": return marked
        default: return nil
        }
    }
}

extension DevicesPage.Row: MustacheParent {
    package func child(named name: String) -> Any? {
        switch name {
        case "device": return device
        case "link": return link
        case "tools": return tools
        case "sensor": return sensor
        case "envelopes": return envelopes
        case "lastReceived": return lastReceived
        case "behind": return behind
        case "sparkWidth": return sparkWidth
        case "sparkBars": return sparkBars
        case "redactions": return redactions
        case "host": return host
        case "system": return system
        case "user": return user
        case "firstSeen": return firstSeen
        case "enrolledBy": return enrolledBy
        case "person": return person
        default: return nil
        }
    }
}


extension PeoplePage.Row: MustacheParent {
    package func child(named name: String) -> Any? {
        switch name {
        case "email": return email
        case "name": return self.name
        case "inactive": return inactive
        case "teams": return teams
        case "devices": return devices
        case "sessions": return sessions
        case "tokens": return tokens
        case "cost": return cost
        case "tools": return tools
        case "models": return models
        case "accounts": return accounts
        case "flagged": return flagged
        case "sessionsLink": return sessionsLink
        case "accountsLink": return accountsLink
        case "overviewLink": return overviewLink
        default: return nil
        }
    }
}

extension UsageChart.Bar: MustacheParent {
    package func child(named name: String) -> Any? {
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

/// `/people`: each person and team with their devices' sessions, tokens and cost.
package struct PeoplePage {
    package struct Row {
        package var email: String
        package var name: String
        package var inactive: Bool
        package var teams: String
        package var devices: String
        package var sessions: String
        package var tokens: String
        package var cost: String
        package var tools: String
        package var models: String
        package var accounts: String
        package var flagged: Bool
        package var sessionsLink: String
        package var accountsLink: String
        /// Their overview: trends, leaders and totals of their devices only.
        package var overviewLink: String
    }
    package struct TeamRow {
        package var name: String
        package var members: String
        package var sessions: String
        package var tokens: String
        package var cost: String
        package var tools: String
        package var sessionsLink: MaybeText
        package var overviewLink: MaybeText
    }
    package var title = "People"
    package var signedIn = true
    package var nav = Navigation(people: true)
    /// The reader's role shows no per-person figures.
    package var hidden: Bool
    /// Teams smaller than this fold into "other" (nil: every team shown).
    package var minimumGroup: Int?
    package var rows: [Row]
    package var teams: [TeamRow]
}

/// `/accounts`: the accounts the AI tools are signed in to, personal ones flagged.
package struct AccountsPage {
    package struct Row {
        package var person: String
        package var device: String
        package var tool: String
        package var account: String
        package var organization: String
        package var plan: String
        package var standing: String
        package var flagged: Bool
        package var current: String
        package var firstSeen: String
        package var lastSeen: String
    }
    package var title = "Accounts in use"
    package var signedIn = true
    package var nav = Navigation(accounts: true)
    package var person: MaybeText
    package var rows: [Row]
}

/// `/access`: who read whose conversations.
package struct AccessPage {
    package struct Row {
        package var at: String
        package var reader: String
        package var role: String
        package var session: String
        package var owner: String
        package var what: String
        package var from: String
    }
    package var title = "Who read what"
    package var signedIn = true
    package var nav = Navigation(access: true)
    /// The signed-in person's own sessions only.
    package var own: Bool
    package var rows: [Row]
}

/// `/login/once/…`: the button that spends a one-time sign-in link.
package struct OncePage {
    package var title = "Sign in"
    package var signedIn = false
    package var nav = Navigation()
    package var action: String
}

extension UsageChart: MustacheParent {
    package func child(named name: String) -> Any? {
        switch name {
        case "id": return id
        case "heading": return heading
        case "width": return width
        case "height": return height
        case "bars": return bars
        case "gridLines": return gridLines
        case "dayLabels": return dayLabels
        case "legend": return legend
        default: return nil
        }
    }
}

extension UsageChart.GridLine: MustacheParent {
    package func child(named name: String) -> Any? {
        switch name {
        case "x1": return x1
        case "x2": return x2
        case "y": return y
        case "label": return label
        case "labelX": return labelX
        case "labelY": return labelY
        default: return nil
        }
    }
}

extension UsageChart.DayLabel: MustacheParent {
    package func child(named name: String) -> Any? {
        switch name {
        case "x": return x
        case "y": return y
        case "label": return label
        default: return nil
        }
    }
}

extension UsageChart.LegendEntry: MustacheParent {
    package func child(named name: String) -> Any? {
        switch name {
        case "tool": return tool
        case "series": return series
        default: return nil
        }
    }
}
