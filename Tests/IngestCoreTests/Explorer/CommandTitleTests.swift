@testable import Explorer
import Testing

/// A session started by a slash command is titled as the person typed it, not with the markup
/// the tool wrote around it; other text is untouched.
@Suite struct CommandTitleTests {
    @Test func aSlashCommandIsShownAsTyped() {
        let written = "<command-message>init is analyzing your codebase…</command-message>\n<command-name>/init</command-name>"
        #expect(DisplayFormat.shortened(written) == "/init")
        #expect(DisplayFormat.shortened("<command-name>/review</command-name>\n<command-args>PR 42 please</command-args>") == "/review PR 42 please")
        #expect(DisplayFormat.shortened("Why does <command-name> appear in my HTML?") == "Why does <command-name> appear in my HTML?")
        #expect(DisplayFormat.command("fix the parser") == nil)
    }
}
