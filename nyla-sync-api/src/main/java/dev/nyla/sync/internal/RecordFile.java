package dev.nyla.sync.internal;

import dev.nyla.sync.VectorEncoding;
import dev.nyla.sync.VectorRecord;

/** Constants of the binary record file format; see docs/artifact-format.md. */
final class RecordFile {
    /** PNG-style magic: a high byte, a name, CR LF, ^Z, LF — detects text-mode mangling in transit. */
    static final byte[] MAGIC = {(byte) 0x89, 'N', 'Y', 'R', '\r', '\n', 0x1A, '\n'};
    static final int FORMAT_VERSION = 1;
    static final int HEADER_BYTES = 16;

    static final int OP_UPSERT = 0x01;
    static final int OP_DELETE = 0x02;
    static final int OP_END = 0xFF;

    // The limits of VectorRecord: anything that can be constructed can be written and read back.
    static final int MAX_TEXT_BYTES = VectorRecord.MAX_TEXT_BYTES;
    static final int MAX_METADATA_ENTRIES = VectorRecord.MAX_METADATA_ENTRIES;
    static final int MAX_METADATA_BYTES = VectorRecord.MAX_METADATA_VALUE_BYTES;
    static final int MAX_METADATA_TOTAL_BYTES = VectorRecord.MAX_METADATA_TOTAL_BYTES;
    static final int HASH_BYTES = 32;

    private RecordFile() {
    }

    /** The header's flag bits that announce vectors stored in {@code encoding}. */
    static int flags(VectorEncoding encoding) {
        return switch (encoding) {
            case F32 -> 0;
            case F16 -> 0x01;
        };
    }

    /** Bytes per vector component in {@code encoding}. */
    static int bytes(VectorEncoding encoding) {
        return switch (encoding) {
            case F32 -> 4;
            case F16 -> 2;
        };
    }

    /** The encoding whose flag bits are exactly {@code flags}, or null. */
    static VectorEncoding encoding(int flags) {
        for (VectorEncoding e : VectorEncoding.values()) {
            if (flags(e) == flags) {
                return e;
            }
        }
        return null;
    }
}
