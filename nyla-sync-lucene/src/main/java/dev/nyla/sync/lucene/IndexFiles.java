package dev.nyla.sync.lucene;

import dev.nyla.sync.IntegrityException;
import dev.nyla.sync.store.IntegrityReport;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.index.FilterLeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.SegmentReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;

/**
 * The files of generations' indexes: sharing them between generations by hard links (Lucene never modifies a
 * file it wrote) and checking them against the checksums in their footers.
 */
final class IndexFiles {
    private IndexFiles() {
    }

    /** Links (or, across file systems, copies) the files of the latest commit in {@code from} into {@code to}. */
    static void linkCommittedFiles(Path from, Path to) throws IOException {
        try (Directory dir = FSDirectory.open(from)) {
            for (String name : SegmentInfos.readLatestCommit(dir).files(true)) {
                link(from.resolve(name), to.resolve(name));
            }
        }
    }

    /**
     * Hard-links {@code from} as {@code to}, or copies it where the file system cannot link. Returns true for a
     * link: its data is the already durable file's, so only the new directory entry needs forcing to disk,
     * while a copy's data must be forced too.
     */
    static boolean link(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
            return true;
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(from, to);
            return false;
        }
    }

    /**
     * Reads every file of the served generation's segments and checks Lucene's checksum in its footer.
     *
     * @throws IntegrityException naming the generation and the first segment with a file whose checksum does
     *         not match
     */
    static IntegrityReport verify(Serving s, String location) throws IOException {
        for (LeafReaderContext leaf : s.reader().leaves()) {
            try {
                leaf.reader().checkIntegrity();
            } catch (CorruptIndexException e) {
                throw new IntegrityException(location + " generation " + s.generation().id() + " segment "
                        + segmentName(leaf), "Lucene checksums",
                        "every file's checksum to match its footer", e.getMessage());
            }
        }
        int segments = s.reader().leaves().size();
        return new IntegrityReport(s.generation().id(), s.reader().numDocs(), segments
                + (segments == 1 ? " segment" : " segments") + ": every file's Lucene checksum matches");
    }

    /** The segment's name ({@code _3}), which its files start with; its position when it has none. */
    private static String segmentName(LeafReaderContext leaf) {
        return FilterLeafReader.unwrap(leaf.reader())
                instanceof SegmentReader sr ? sr.getSegmentName() : "#" + leaf.ord;
    }

    /**
     * Checks Lucene's checksum of a file whose CRC32 was computed as it was downloaded ({@link FooterCrc}):
     * reads only its index header (codec magic and names) and its footer (magic, algorithm, checksum), checks
     * that the file has {@code size} bytes, and compares the footer's checksum with {@code crc}.
     *
     * @throws IntegrityException naming the file, the footer's checksum and the downloaded bytes' one, or
     *         what is wrong with the header or footer
     */
    static void checkFooter(Directory dir, String name, String subject, long size, long crc) throws IOException {
        if (size < CodecUtil.footerLength()) {
            throw new IntegrityException(subject, "size of a Lucene index file",
                    "at least the footer's " + CodecUtil.footerLength() + " bytes", size + " bytes");
        }
        long footer;
        try (IndexInput in = dir.openInput(name, IOContext.READONCE)) {
            CodecUtil.readIndexHeader(in);
            footer = CodecUtil.retrieveChecksum(in, size);
        } catch (CorruptIndexException | EOFException e) {
            throw new IntegrityException(subject, "Lucene index header and footer", "a valid header and footer",
                    e.getMessage());
        }
        if (footer != crc) {
            throw new IntegrityException(subject, "Lucene checksum (the CRC32 in the file's footer, of the "
                    + "downloaded bytes before it; the publisher shipped a damaged index file)", hex(footer), hex(crc));
        }
    }

    /** A CRC32 as Lucene's footer holds it, as 8 hex digits. */
    static String hex(long crc) {
        return String.format("%08x", crc);
    }

    /** Reads a whole file and checks Lucene's checksum footer. */
    static void checksum(Directory dir, String name, String subject) throws IOException {
        try (IndexInput in = dir.openInput(name, IOContext.READONCE)) {
            CodecUtil.checksumEntireFile(in);
        } catch (CorruptIndexException e) {
            throw new IntegrityException(subject, "Lucene checksum", "the checksum in the file's footer",
                    "a mismatch (" + e.getMessage() + ")");
        }
    }
}
