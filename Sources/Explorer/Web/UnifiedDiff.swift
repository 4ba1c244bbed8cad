/// A unified diff of two texts, line by line, for showing a file change a tool made.
///
/// Myers' O((N+M)·D) algorithm on lines after trimming the common head and tail; hunks carry
/// three lines of context. Past `maxEdits` differing lines the change is shown whole (old lines
/// removed, new lines added) rather than spending time on a best alignment.
package enum UnifiedDiff {
    package struct Line: Sendable, Equatable {
        package enum Style: String, Sendable { case context = "ctx", added = "add", removed = "del", hunk = "hunk" }
        package var style: Style
        package var text: String
    }

    package static func lines(old: String, new: String, context: Int = 3, maxEdits: Int = 2000) -> [Line] {
        let a = old.isEmpty ? [] : old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.isEmpty ? [] : new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let script = edits(a, b, maxEdits: maxEdits)
        return hunks(script, a: a, b: b, context: context)
    }

    /// A diff given as text (a tool's own unified diff): each line styled by its first character.
    package static func styled(_ diff: String) -> [Line] {
        diff.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            if line.hasPrefix("@@") { return Line(style: .hunk, text: String(line)) }
            if line.hasPrefix("+"), !line.hasPrefix("+++") { return Line(style: .added, text: String(line)) }
            if line.hasPrefix("-"), !line.hasPrefix("---") { return Line(style: .removed, text: String(line)) }
            return Line(style: .context, text: String(line))
        }
    }

    private enum Edit { case keep(Int, Int), delete(Int), insert(Int) }

    private static func edits(_ a: [String], _ b: [String], maxEdits: Int) -> [Edit] {
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let oldMiddle = Array(a[head..<(a.count - tail)])
        let newMiddle = Array(b[head..<(b.count - tail)])
        var script: [Edit] = (0..<head).map { .keep($0, $0) }
        if let middle = myers(oldMiddle, newMiddle, maxEdits: maxEdits) {
            script += middle.map {
                switch $0 {
                case .keep(let i, let j): return .keep(i + head, j + head)
                case .delete(let i): return .delete(i + head)
                case .insert(let j): return .insert(j + head)
                }
            }
        } else {
            script += oldMiddle.indices.map { .delete($0 + head) } + newMiddle.indices.map { .insert($0 + head) }
        }
        script += (0..<tail).map { .keep(a.count - tail + $0, b.count - tail + $0) }
        return script
    }

    /// The shortest edit script, or nil when it needs more than `maxEdits` edits.
    private static func myers(_ a: [String], _ b: [String], maxEdits: Int) -> [Edit]? {
        let n = a.count, m = b.count
        if n == 0 { return (0..<m).map { .insert($0) } }
        if m == 0 { return (0..<n).map { .delete($0) } }
        let limit = min(n + m, maxEdits)
        let offset = limit + 1
        var v = [Int](repeating: 0, count: 2 * limit + 3)
        var trace: [[Int]] = []
        for d in 0...limit {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                    x = v[offset + k + 1]
                } else {
                    x = v[offset + k - 1] + 1
                }
                var y = x - k
                while x < n, y < m, a[x] == b[y] { x += 1; y += 1 }
                v[offset + k] = x
                if x >= n, y >= m { return backtrack(trace, n: n, m: m, offset: offset) }
            }
        }
        return nil
    }

    private static func backtrack(_ trace: [[Int]], n: Int, m: Int, offset: Int) -> [Edit] {
        var x = n, y = m
        var script: [Edit] = []
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let v = trace[d]
            let k = x - y
            let previousK = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? k + 1 : k - 1
            let previousX = d == 0 ? 0 : v[offset + previousK]
            let previousY = previousX - previousK
            while x > previousX, y > previousY { x -= 1; y -= 1; script.append(.keep(x, y)) }
            if d > 0 {
                if x == previousX { y -= 1; script.append(.insert(y)) } else { x -= 1; script.append(.delete(x)) }
            }
        }
        return script.reversed()
    }

    private static func hunks(_ script: [Edit], a: [String], b: [String], context: Int) -> [Line] {
        let changed = script.indices.filter { if case .keep = script[$0] { return false } else { return true } }
        guard !changed.isEmpty else { return [] }
        // Groups of changes whose context overlaps.
        var groups: [(Int, Int)] = []
        for index in changed {
            if let last = groups.last, index - last.1 <= 2 * context + 1 {
                groups[groups.count - 1].1 = index
            } else {
                groups.append((index, index))
            }
        }
        var lines: [Line] = []
        for (first, last) in groups {
            let start = max(0, first - context), end = min(script.count - 1, last + context)
            var oldStart = 0, newStart = 0, oldCount = 0, newCount = 0
            var body: [Line] = []
            var started = false
            for edit in script[start...end] {
                switch edit {
                case .keep(let i, let j):
                    if !started { oldStart = i; newStart = j; started = true }
                    oldCount += 1; newCount += 1
                    body.append(Line(style: .context, text: " " + a[i]))
                case .delete(let i):
                    if !started { oldStart = i; newStart = position(in: script, before: start, new: true); started = true }
                    oldCount += 1
                    body.append(Line(style: .removed, text: "-" + a[i]))
                case .insert(let j):
                    if !started { newStart = j; oldStart = position(in: script, before: start, new: false); started = true }
                    newCount += 1
                    body.append(Line(style: .added, text: "+" + b[j]))
                }
            }
            // As `diff -u`: an empty side is numbered by the line before it.
            lines.append(Line(style: .hunk, text: "@@ -\(oldStart + (oldCount > 0 ? 1 : 0)),\(oldCount) +\(newStart + (newCount > 0 ? 1 : 0)),\(newCount) @@"))
            lines += body
        }
        return lines
    }

    /// The line number in the old (or new) text where the script's entry `index` sits.
    private static func position(in script: [Edit], before index: Int, new: Bool) -> Int {
        var count = 0
        for edit in script[..<index] {
            switch edit {
            case .keep: count += 1
            case .delete: if !new { count += 1 }
            case .insert: if new { count += 1 }
            }
        }
        return count
    }
}
