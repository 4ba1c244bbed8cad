import Foundation

/// An encoder with its options in one expression.
extension JSONEncoder {
    package convenience init(outputFormatting: OutputFormatting, keys: KeyEncodingStrategy = .useDefaultKeys) {
        self.init()
        self.outputFormatting = outputFormatting
        keyEncodingStrategy = keys
    }
}
