import Foundation
import Pipelines

/// The status page for people: queue counts, throughput over the last hour with a bar chart (inline SVG),
/// recently finished files with their durations, and failures with their errors. Plain server-rendered
/// HTML that refreshes itself; no script. Numbers carry ids (`count-done`, …) so tests can read them.
enum StatusPage {
    static func html(_ s: StatusSnapshot) -> String {
        let time = ISO8601DateFormatter()
        var page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
            <title>claire-pipeline — \(escape(s.pipeline))</title>
            <style>
            body { font: 15px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; background: #f7f8fa; }
            h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
            .sub { color: #5b6475; margin-bottom: 16px; }
            .cards { display: flex; gap: 12px; flex-wrap: wrap; }
            .card { background: #fff; border: 1px solid #dfe3ea; border-radius: 8px; padding: 10px 16px; min-width: 96px; }
            .card .n { font-size: 26px; font-weight: 600; } .card .l { color: #5b6475; font-size: 13px; }
            .dead .n, .failed .n { color: #b42318; } .done .n { color: #067647; } .running .n { color: #175cd3; }
            table { border-collapse: collapse; background: #fff; border: 1px solid #dfe3ea; }
            td, th { padding: 4px 10px; border-bottom: 1px solid #eef0f4; text-align: left; font-size: 13px; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; } .err { color: #b42318; font-family: monospace; }
            </style></head><body>
            <h1>claire-pipeline · \(escape(s.pipeline))</h1>
            <div class="sub">queue \(escape(s.location)) · page generated \(time.string(from: s.takenAt)) · this daemon up since \(time.string(from: s.startedAt))</div>
            <div class="cards">
            """
        for state in QueueRow.State.allCases {
            page += "<div class=\"card \(state.rawValue)\"><div class=\"n\" id=\"count-\(state.rawValue)\">\(s.counts[state])</div><div class=\"l\">\(state.rawValue)</div></div>\n"
        }
        page += """
            <div class="card"><div class="n" id="done-last-hour">\(s.doneLastHour)</div><div class="l">done in the last hour</div></div>
            <div class="card"><div class="n" id="tokens-per-second">\(String(format: "%.1f", s.tokensPerSecond))</div><div class="l">tokens/s (this daemon)</div></div>
            </div>
            <h2>Throughput, last hour (files done per 5 minutes, all daemons)</h2>
            \(chart(s.throughput()))
            <h2>This daemon</h2>
            <table><tr><th>claimed</th><th>done</th><th>failed</th><th>dead</th><th>lease losses</th><th>windows</th><th>tokens</th></tr>
            <tr><td class="num" id="daemon-claimed">\(s.activity.claimed)</td><td class="num" id="daemon-done">\(s.activity.done)</td>
            <td class="num" id="daemon-failed">\(s.activity.failed)</td><td class="num" id="daemon-dead">\(s.activity.dead)</td>
            <td class="num" id="daemon-lease-losses">\(s.activity.leaseLost)</td><td class="num" id="daemon-windows">\(s.activity.windows)</td>
            <td class="num" id="daemon-tokens">\(s.activity.tokens)</td></tr></table>
            <h2>Failures</h2>
            """
        let failures = s.failures
        if failures.isEmpty {
            page += "<p>None.</p>\n"
        } else {
            page += "<table><tr><th>file</th><th>state</th><th>attempts</th><th>next try</th><th>error</th></tr>\n"
            for row in failures.prefix(50) {
                page += "<tr><td>\(escape(row.source))</td><td>\(row.state.rawValue)</td><td class=\"num\">\(row.attempts)</td>"
                page += "<td>\(row.nextRetryAt.map(time.string(from:)) ?? "—")</td><td class=\"err\">\(escape(row.lastError ?? ""))</td></tr>\n"
            }
            page += "</table>\n"
        }
        page += "<h2>Recently done</h2>\n"
        let recent = s.recentDone()
        if recent.isEmpty {
            page += "<p>Nothing yet.</p>\n"
        } else {
            page += "<table><tr><th>file</th><th>finished</th><th>seconds</th><th>by</th><th>attempts</th></tr>\n"
            for row in recent {
                let seconds = row.seconds ?? s.recentByThisDaemon.last(where: { $0.source == row.source && $0.outcome == .done })?.seconds
                page += "<tr><td>\(escape(row.source))</td><td>\(time.string(from: row.updatedAt))</td>"
                page += "<td class=\"num\">\(seconds.map { String(format: "%.1f", $0) } ?? "—")</td><td>\(escape(row.owner ?? "—"))</td>"
                page += "<td class=\"num\">\(row.attempts)</td></tr>\n"
            }
            page += "</table>\n"
        }
        page += "</body></html>\n"
        return page
    }

    /// Bars of files per bucket, oldest on the left, with the maximum on the axis.
    static func chart(_ buckets: [Int]) -> String {
        let width = 600.0, height = 160.0, left = 36.0, bottom = 20.0
        let top = max(1, buckets.max() ?? 0)
        let barWidth = (width - left) / Double(max(1, buckets.count))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"files done per 5 minutes over the last hour\">\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"#fff\" stroke=\"#dfe3ea\"/>\n"
        svg += "<text x=\"4\" y=\"14\" font-size=\"11\" fill=\"#5b6475\">\(top)</text><text x=\"4\" y=\"\(Int(height - bottom))\" font-size=\"11\" fill=\"#5b6475\">0</text>\n"
        for (index, value) in buckets.enumerated() {
            let barHeight = (height - bottom - 10) * Double(value) / Double(top)
            let x = left + Double(index) * barWidth + 2
            let y = height - bottom - barHeight
            svg += String(format: "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#2e90fa\"><title>%d files</title></rect>\n",
                          x, y, barWidth - 4, barHeight, value)
        }
        svg += "<text x=\"\(Int(left))\" y=\"\(Int(height - 5))\" font-size=\"11\" fill=\"#5b6475\">−60 min</text>"
        svg += "<text x=\"\(Int(width - 40))\" y=\"\(Int(height - 5))\" font-size=\"11\" fill=\"#5b6475\">now</text>\n</svg>"
        return svg
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
