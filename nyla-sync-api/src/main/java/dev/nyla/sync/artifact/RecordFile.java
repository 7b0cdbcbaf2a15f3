package dev.nyla.sync.artifact;

/** Constants of the binary record file format; see docs/artifact-format.md. */
final class RecordFile {
    /** PNG-style magic: a high byte, a name, CR LF, ^Z, LF — detects text-mode mangling in transit. */
    static final byte[] MAGIC = {(byte) 0x89, 'N', 'Y', 'R', '\r', '\n', 0x1A, '\n'};
    static final int FORMAT_VERSION = 1;
    static final int HEADER_BYTES = 16;

    static final int OP_UPSERT = 0x01;
    static final int OP_DELETE = 0x02;
    static final int OP_END = 0xFF;

    static final int MAX_TEXT_BYTES = 16 << 20;
    static final int MAX_METADATA_ENTRIES = 1024;
    static final int MAX_METADATA_BYTES = 64 << 10;
    static final int MAX_METADATA_TOTAL_BYTES = 1 << 20;
    static final int HASH_BYTES = 32;

    private RecordFile() {
    }
}
