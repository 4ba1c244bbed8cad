/// A tool's output is kept once: on its tool call.
///
/// Most tools write a call's output as a message of its own (Claude Code's `tool_result`
/// blocks, a `toolResult` line) and the normalisers read it twice from that record: as the
/// call's result and as the message's text. Stored twice it was indexed twice too: on the
/// generated corpus a fifth of the normalised text and of the search index. The message
/// keeps its place, role and kind (the conversation's order and counts are unchanged), and
/// its text only where it says more than the results of the calls its record gives.
extension NormalizedBatch {
    /// Drops the text of the `tool_result` messages appended since `messages` (an index into
    /// ``messages``) that is exactly the results of the calls appended since `calls`, one
    /// result or all of them joined by line breaks, as the normalisers join a record's blocks.
    mutating func keepResultsOnce(messagesFrom messages: Int, callsFrom calls: Int) {
        guard calls < toolCalls.count,
              self.messages[messages...].contains(where: { $0.kind == "tool_result" && $0.text != nil }) else { return }
        let results = toolCalls[calls...].compactMap(\.result)
        guard !results.isEmpty else { return }
        let joined = results.joined(separator: "\n")
        for index in messages..<self.messages.count where self.messages[index].kind == "tool_result" {
            guard let text = self.messages[index].text, text == joined || results.contains(text) else { continue }
            self.messages[index].text = nil
        }
    }
}
