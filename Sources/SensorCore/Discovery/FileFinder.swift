import Foundation
import SensorModel

/// A file a source's globs matched on this machine.
public struct MatchedFile: Sendable, Hashable {
    public var path: String
    public var stat: FileStat
}

/// Expands a declaration's roots and globs into the files they match.
///
/// The walk is guided by the globs: it descends only into directories a pattern can still
/// match, lists each directory once, and never follows a symlink unless the source says so.
public struct FileFinder: Sendable {
    public var template: PathTemplate
    public var system: OperatingSystem

    public init(template: PathTemplate, system: OperatingSystem = .current) {
        self.template = template
        self.system = system
    }

    /// Every file `declaration` matches, in path order, de-duplicated by device and inode.
    public func files(for declaration: SourceDeclaration) -> [MatchedFile] {
        var directories: Set<String>?
        return files(for: declaration, directories: &directories)
    }

    /// Every file each of `declarations` matches (as ``files(for:)``), listing each directory
    /// once for all of them. `directories`: every directory listed; `expected`: how many files
    /// each source's last walk found.
    public func files(for declarations: [SourceDeclaration], directories: inout Set<String>?,
                      expected: [String: Int] = [:]) -> [[MatchedFile]] {
        let listings = DirectoryListingCache()
        return declarations.map { declaration in
            files(for: declaration, directories: &directories, expected: expected[declaration.id] ?? 0, listings: listings)
        }
    }

    /// Like ``files(for:)``, also collecting every directory the walk listed (what a file
    /// watcher must watch to see new matches appear). `expected`: how many files the last walk
    /// found, so the results are allocated once.
    public func files(for declaration: SourceDeclaration, directories: inout Set<String>?, expected: Int = 0) -> [MatchedFile] {
        files(for: declaration, directories: &directories, expected: expected, listings: nil)
    }

    private func files(for declaration: SourceDeclaration, directories: inout Set<String>?, expected: Int,
                       listings: DirectoryListingCache?) -> [MatchedFile] {
        let includes = declaration.include.compactMap(Glob.init)
        let excludes = declaration.exclude.compactMap(Glob.init)
        var identities = Set<FileIdentity>(minimumCapacity: expected)
        var matches: [MatchedFile] = []
        matches.reserveCapacity(expected)
        for root in template.roots(of: declaration, on: system) {
            guard let rootStat = FileStat(path: root), rootStat.isDirectory else { continue }
            // A source that follows symlinks follows them only within its root.
            let realRoot = declaration.followSymlinks ? Self.realPath(root) : nil
            for include in includes {
                let base = include.isAbsolute ? "" : root
                walk(directory: base.isEmpty ? "/" : base, segments: include.segments[...], relative: excludes.isEmpty ? nil : [],
                     follow: declaration.followSymlinks, listed: &directories, listings: listings) { path, relative, stat in
                    if let relative, excluded(relative: relative, path: path, root: root, excludes: excludes) { return }
                    if let realRoot, !include.isAbsolute {
                        guard let real = Self.realPath(path), real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else { return }
                    }
                    guard identities.insert(FileIdentity(device: stat.device, inode: stat.inode)).inserted else { return }
                    matches.append(MatchedFile(path: path, stat: stat))
                }
            }
        }
        // One glob over sorted listings usually yields path order already.
        if !zip(matches, matches.dropFirst()).allSatisfy({ $0.path < $1.path }) {
            matches.sort { $0.path < $1.path }
        }
        return matches
    }

    /// `realpath(3)`: the path with every symlink, `.` and `..` resolved.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The roots of `declaration` that exist here.
    public func existingRoots(for declaration: SourceDeclaration) -> [String] {
        template.roots(of: declaration, on: system).filter { FileStat(path: $0)?.isDirectory == true }
    }

    private func excluded(relative: [Substring], path: String, root: String, excludes: [Glob]) -> Bool {
        guard let name = relative.last else { return false }
        for exclude in excludes {
            if exclude.segments.count == 1 {
                if Glob.matches(exclude.segments[0], name) { return true }
            } else if exclude.isAbsolute {
                if exclude.matches(path.split(separator: "/")) { return true }
            } else if exclude.matches(relative) {
                return true
            }
        }
        return false
    }

    /// `relative`: the names below the root so far, kept only when excludes need them.
    private func walk(directory: String, segments: ArraySlice<Glob.Segment>, relative: [Substring]?, follow: Bool,
                      listed: inout Set<String>?, listings: DirectoryListingCache?, found: (String, [Substring]?, FileStat) -> Void) {
        guard let segment = segments.first else { return }
        listed?.insert(directory)
        let rest = segments.dropFirst()
        func join(_ name: String) -> String { directory == "/" ? "/" + name : directory + "/" + name }

        if case .literal(let name) = segment {
            let path = join(name)
            visit(path: path, name: Substring(name), rest: rest, relative: relative, follow: follow, listed: &listed,
                  listings: listings, stat: { FileStat(path: path, followSymlinks: $0) }, found: found)
            return
        }
        if case .anyDepth = segment {
            // `**` stands for no segment here (match the rest in this directory) or for one
            // more directory level (and maybe more below it).
            walk(directory: directory, segments: rest, relative: relative, follow: follow, listed: &listed, listings: listings,
                 found: found)
        }
        guard let listing = DirectoryListing(path: directory, cache: listings) else { return }
        for (name, isDirectory) in listing.entries {
            if case .anyDepth = segment {
                if isDirectory == false { continue }
                if isDirectory == nil {
                    guard let stat = listing.stat(name, followSymlinks: false),
                          stat.isDirectory || (follow && stat.isSymbolicLink && listing.stat(name, followSymlinks: true)?.isDirectory == true)
                    else { continue }
                }
                walk(directory: join(name), segments: segments, relative: relative.map { $0 + [Substring(name)] }, follow: follow,
                     listed: &listed, listings: listings, found: found)
            } else if !rest.isEmpty && isDirectory == false {
                continue  // a file where the pattern needs a directory: no stat needed
            } else if Glob.matches(segment, Substring(name)) {
                visit(path: join(name), name: Substring(name), rest: rest, relative: relative, follow: follow, listed: &listed,
                      listings: listings, stat: { listing.stat(name, followSymlinks: $0) }, found: found)
            }
        }
    }

    /// A name that matched its segment: a file when the pattern ends here, else a directory to go into.
    private func visit(path: String, name: Substring, rest: ArraySlice<Glob.Segment>, relative: [Substring]?, follow: Bool,
                       listed: inout Set<String>?, listings: DirectoryListingCache?, stat: (_ followSymlinks: Bool) -> FileStat?,
                       found: (String, [Substring]?, FileStat) -> Void) {
        guard let linkStat = stat(false) else { return }
        if linkStat.isSymbolicLink && !follow { return }
        guard let target = linkStat.isSymbolicLink ? stat(true) : linkStat else { return }
        let here = relative.map { $0 + [name] }
        if rest.isEmpty {
            if target.isRegularFile { found(path, here, target) }
        } else if target.isDirectory {
            walk(directory: path, segments: rest, relative: here, follow: follow, listed: &listed, listings: listings, found: found)
        }
    }
}
