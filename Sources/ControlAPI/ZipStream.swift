import CZlib
import Foundation

/// Writes several files as one ZIP archive while it is being sent: entries are stored (MP4 does not compress),
/// each file's CRC-32 is computed as it streams and given in a data descriptor after it, and ZIP64 records are
/// used where a size or an offset passes 4 GiB, so recordings of any length fit.
struct ZipStream {
    /// One file to put in the archive.
    struct Entry {
        var name: String
        var path: String
        var size: Int64
        var modified: Date
    }

    private struct Written {
        var name: [UInt8]
        var crc: UInt32
        var size: Int64
        var offset: Int64
        var dosTime: UInt16
        var dosDate: UInt16
        var zip64: Bool
    }

    /// Sizes and offsets from here on need ZIP64 records.
    static let limit32: Int64 = 0xFFFF_FFFF

    /// Streams the archive to `write`, reading each file in chunks with `read` (path, offset, length, sink).
    /// `zip64From` lowers the size or offset that switches to ZIP64 records (for tests).
    static func write(_ entries: [Entry], read: @escaping (String, Int64, Int64, @escaping (Data) async throws -> Void) async throws -> Void,
                      to write: @escaping (Data) async throws -> Void, zip64From limit32: Int64 = ZipStream.limit32) async throws {
        var offset: Int64 = 0
        var written: [Written] = []
        for entry in entries {
            let name = Array(entry.name.utf8)
            let (time, date) = dosDateTime(entry.modified)
            let zip64 = entry.size >= limit32 || offset >= limit32
            var header = Bytes()
            header.u32(0x0403_4B50)
            header.u16(zip64 ? 45 : 20)  // version needed
            header.u16(0x0808)  // data descriptor follows; names are UTF-8
            header.u16(0)  // stored
            header.u16(time)
            header.u16(date)
            header.u32(0)  // CRC-32, in the descriptor
            header.u32(zip64 ? 0xFFFF_FFFF : 0)
            header.u32(zip64 ? 0xFFFF_FFFF : 0)
            header.u16(UInt16(name.count))
            header.u16(zip64 ? 20 : 0)
            header.append(name)
            if zip64 {
                header.u16(0x0001)
                header.u16(16)
                header.u64(0)
                header.u64(0)
            }
            try await write(header.data)
            var crc = crc32(0, nil, 0)
            var sent: Int64 = 0
            try await read(entry.path, 0, entry.size) { chunk in
                crc = chunk.withUnsafeBytes { crc32(crc, $0.bindMemory(to: Bytef.self).baseAddress, uInt($0.count)) }
                sent += Int64(chunk.count)
                try await write(chunk)
            }
            var descriptor = Bytes()
            descriptor.u32(0x0807_4B50)
            descriptor.u32(UInt32(crc))
            if zip64 {
                descriptor.u64(UInt64(sent))
                descriptor.u64(UInt64(sent))
            } else {
                descriptor.u32(UInt32(sent))
                descriptor.u32(UInt32(sent))
            }
            try await write(descriptor.data)
            written.append(Written(name: name, crc: UInt32(crc), size: sent, offset: offset, dosTime: time, dosDate: date, zip64: zip64))
            offset += Int64(header.data.count) + sent + Int64(descriptor.data.count)
        }

        let directoryStart = offset
        var directory = Bytes()
        for file in written {
            let needs64 = file.size >= limit32 || file.offset >= limit32
            directory.u32(0x0201_4B50)
            directory.u16(0x031E)  // made by: Unix, 3.0
            directory.u16(needs64 ? 45 : 20)
            directory.u16(0x0808)
            directory.u16(0)
            directory.u16(file.dosTime)
            directory.u16(file.dosDate)
            directory.u32(file.crc)
            directory.u32(needs64 ? 0xFFFF_FFFF : UInt32(file.size))
            directory.u32(needs64 ? 0xFFFF_FFFF : UInt32(file.size))
            directory.u16(UInt16(file.name.count))
            directory.u16(needs64 ? 28 : 0)
            directory.u16(0)  // comment
            directory.u16(0)  // disk
            directory.u16(0)  // internal attributes
            directory.u32(0o100644 << 16)  // external attributes: a regular file, rw-r--r--
            directory.u32(needs64 ? 0xFFFF_FFFF : UInt32(file.offset))
            directory.append(file.name)
            if needs64 {
                directory.u16(0x0001)
                directory.u16(24)
                directory.u64(UInt64(file.size))
                directory.u64(UInt64(file.size))
                directory.u64(UInt64(file.offset))
            }
        }
        let directorySize = Int64(directory.data.count)
        let directoryEnd = directoryStart + directorySize
        var end = Bytes()
        let needs64 = directoryStart >= limit32 || written.count >= 0xFFFF
        if needs64 {
            end.u32(0x0606_4B50)  // ZIP64 end of central directory record
            end.u64(44)
            end.u16(0x031E)
            end.u16(45)
            end.u32(0)
            end.u32(0)
            end.u64(UInt64(written.count))
            end.u64(UInt64(written.count))
            end.u64(UInt64(directorySize))
            end.u64(UInt64(directoryStart))
            end.u32(0x0706_4B50)  // its locator
            end.u32(0)
            end.u64(UInt64(directoryEnd))
            end.u32(1)
        }
        end.u32(0x0605_4B50)
        end.u16(0)
        end.u16(0)
        end.u16(needs64 ? 0xFFFF : UInt16(written.count))
        end.u16(needs64 ? 0xFFFF : UInt16(written.count))
        end.u32(needs64 ? 0xFFFF_FFFF : UInt32(directorySize))
        end.u32(needs64 ? 0xFFFF_FFFF : UInt32(directoryStart))
        end.u16(0)
        try await write(directory.data + end.data)
    }

    /// MS-DOS time and date fields, in local time.
    static func dosDateTime(_ date: Date) -> (UInt16, UInt16) {
        let c = Calendar.current.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let time = UInt16((c.hour ?? 0) << 11 | (c.minute ?? 0) << 5 | (c.second ?? 0) / 2)
        let year = min(max(0, (c.year ?? 1980) - 1980), 127)  // DOS dates span 1980-2107
        let day = UInt16(year << 9 | (c.month ?? 1) << 5 | (c.day ?? 1))
        return (time, day)
    }

    /// Little-endian field writer.
    private struct Bytes {
        var data = Data()
        mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        mutating func append(_ bytes: [UInt8]) { data.append(contentsOf: bytes) }
    }
}
