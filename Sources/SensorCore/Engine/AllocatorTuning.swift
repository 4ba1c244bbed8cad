#if canImport(Glibc)
import Glibc
#endif

/// Settles glibc's allocator for a long-running reader of large buffers.
///
/// glibc serves a freed large block from its heap once it has seen one freed, raising its
/// mmap threshold up to 32 MiB; chunks and batches are allocated on one thread and freed on
/// another, so freed megabytes then sit in per-thread arenas and resident memory drifts well
/// above what is live. A fixed threshold keeps every block of 256 KiB and more in its own
/// mapping, returned to the system the moment it is freed. (The buffers that go round in a
/// backfill are reused, see ``BufferRecycler``, so this costs few page faults.)
public enum AllocatorTuning {
    public static func apply() {
        #if canImport(Glibc)
        // mallopt is in <malloc.h>, which the Glibc module does not export.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 256 * 1024)
        #endif
    }
}
