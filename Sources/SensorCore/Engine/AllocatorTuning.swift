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
    /// `onePass`: the process reads once and exits (`sensor scan`). Its heap then grows in
    /// steps of 32 MiB of address space instead of a page or a few at a time: an idle scan over
    /// ten thousand files otherwise made 1,600 `mprotect` calls (a tenth of its CPU) growing
    /// the arena of the thread it runs on. Untouched address space costs no memory; a process
    /// that lives on keeps glibc's default, which gives freed memory back.
    public static func apply(onePass: Bool = false) {
        #if canImport(Glibc)
        // mallopt is in <malloc.h>, which the Glibc module does not export.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 256 * 1024)
        if onePass {
            let topPad: Int32 = -2  // M_TOP_PAD
            _ = mallopt(topPad, 32 << 20)
        }
        #endif
    }
}
