/// The start of a file record's locator, the same for every reader of files.
enum FileLocator {
    /// `"path":…,"file_id":"…","device_inode":"…"`: the path as shown, the file's identity, and
    /// where it was on the disk when read; a reader adds the record's place after it.
    static func prefix(path: String, fileID: String, deviceInode: String) -> [UInt8] {
        var locator: [UInt8] = []
        locator.append("\"path\":")
        locator.appendJSONString(path)
        locator.append(",\"file_id\":\"")
        locator.append(utf8: fileID)
        locator.append("\",\"device_inode\":\"")
        locator.append(utf8: deviceInode)
        locator.append("\"")
        return locator
    }
}
