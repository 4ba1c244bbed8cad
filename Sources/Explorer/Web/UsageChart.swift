/// A stacked bar chart of a value per day, one colour per tool, laid out for server-rendered
/// SVG: the template draws the rectangles, labels and grid computed here.
package struct UsageChart: Sendable {
    package struct Bar: Sendable {
        package var day: String
        package var tool: String
        package var series: Int
        package var x: String
        package var y: String
        package var width: String
        var height: String
        package var value: String
    }

    package struct GridLine: Sendable {
        var x1: Int
        var x2: Int
        package var y: String
        package var label: String
        var labelX: Int
        var labelY: String
    }

    package struct DayLabel: Sendable {
        package var x: String
        package var y: Int
        package var label: String
    }

    package struct LegendEntry: Sendable {
        package var tool: String
        package var series: Int
    }

    package var id: String
    package var heading: String
    package let width = 960
    let height = 260
    package var bars: [Bar] = []
    var gridLines: [GridLine] = []
    var dayLabels: [DayLabel] = []
    var legend: [LegendEntry] = []

    /// `values[day][tool]` over `days` (oldest first); tools coloured in the order of `tools`.
    package init(id: String, heading: String, days: [String], tools: [String], values: [String: [String: Double]],
         label: (Double) -> String) {
        self.id = id
        self.heading = heading
        let left = 70, right = 10, top = 10, bottom = 24
        let plotWidth = Double(width - left - right), plotHeight = Double(height - top - bottom)
        let series = Dictionary(uniqueKeysWithValues: tools.enumerated().map { ($1, $0 % 8) })
        legend = tools.map { LegendEntry(tool: $0, series: series[$0] ?? 0) }
        let peak = days.map { day in values[day]?.values.reduce(0, +) ?? 0 }.max() ?? 0
        guard peak > 0, !days.isEmpty else { return }
        let scale = Self.niceCeiling(peak)
        let slot = plotWidth / Double(days.count)
        let barWidth = max(1, slot * 0.8)
        // Grid lines at round values: fifths of a 5 × 10ⁿ ceiling, quarters of a 1 or 2 × 10ⁿ one.
        let steps = Self.leadingDigit(scale) == 5 ? 5 : 4
        for step in 0...steps {
            let value = scale * Double(step) / Double(steps)
            let y = Double(top) + plotHeight - plotHeight * Double(step) / Double(steps)
            gridLines.append(GridLine(x1: left, x2: width - right, y: Self.number(y), label: label(value), labelX: 2,
                                      labelY: Self.number(y + 4)))
        }
        let every = max(1, Int((Double(days.count) / 12).rounded(.up)))
        for (index, day) in days.enumerated() {
            let x = Double(left) + slot * Double(index) + (slot - barWidth) / 2
            var base = Double(top) + plotHeight
            for tool in tools {
                guard let value = values[day]?[tool], value > 0 else { continue }
                let barHeight = max(0.5, plotHeight * value / scale)
                base -= barHeight
                bars.append(Bar(day: day, tool: tool, series: series[tool] ?? 0, x: Self.number(x), y: Self.number(base),
                                width: Self.number(barWidth), height: Self.number(barHeight), value: label(value)))
            }
            if index % every == 0 {
                dayLabels.append(DayLabel(x: Self.number(x + barWidth / 2), y: height - 6, label: String(day.dropFirst(5))))
            }
        }
    }

    /// The smallest 1, 2 or 5 × 10ⁿ at or above `value`.
    package static func niceCeiling(_ value: Double) -> Double {
        guard value.isFinite, value > 0 else { return 1 }
        var magnitude = 1.0
        while magnitude * 10 <= value { magnitude *= 10 }
        while magnitude > value { magnitude /= 10 }
        for factor in [1.0, 2, 5, 10] where magnitude * factor >= value { return magnitude * factor }
        return magnitude * 10
    }

    static func leadingDigit(_ value: Double) -> Int {
        var value = value
        while value >= 10 { value /= 10 }
        while value > 0 && value < 1 { value *= 10 }
        return Int(value.rounded())
    }

    package static func number(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        // Past 2^53 a Double holds only integers, and past 2^63 `Int(_:)` would trap.
        guard rounded.isFinite, abs(rounded) < 0x1p53 else { return rounded.isFinite ? String(format: "%.0f", rounded) : "—" }
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
