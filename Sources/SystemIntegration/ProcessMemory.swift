import CMalloc

/// How the process's memory allocator behaves.
public enum ProcessMemory {
    /// Upload parts and chunks are buffers of megabytes. glibc raises its mmap threshold each time such a mapped
    /// buffer is freed, so later ones come from the heap and stay resident after use; a fixed threshold keeps
    /// every buffer of 512 KiB or more mapped and gives it back to the kernel when freed, so the daemon's memory
    /// stays flat however large the file it uploads.
    public static func returnLargeBuffersToTheKernel() {
        _ = mallopt(M_MMAP_THRESHOLD, 512 << 10)
    }
}
