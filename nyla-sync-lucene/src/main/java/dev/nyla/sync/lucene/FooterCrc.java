package dev.nyla.sync.lucene;

import dev.nyla.sync.nativepayload.StreamingCheck;
import java.util.function.LongConsumer;
import java.util.zip.CRC32;
import org.apache.lucene.codecs.CodecUtil;

/**
 * The checksum Lucene keeps in an index file's footer, computed over the file's bytes as the sync client
 * downloads them: the CRC32 of every byte before the footer's last 8, which hold the checksum itself
 * ({@link CodecUtil#writeFooter}: magic, algorithm id, then the CRC32 of all that precedes it). The install
 * then compares it with the footer by reading only the file's header and footer.
 */
final class FooterCrc implements StreamingCheck {
    /** The checksum's own bytes at the end of the footer, which it does not cover. */
    private static final int CHECKSUM_BYTES = Long.BYTES;

    private final CRC32 crc = new CRC32();
    private final long size;
    private final long covered;
    private final LongConsumer completed;
    private long seen;

    /**
     * @param size      the file's size as the manifest declares it
     * @param completed receives the CRC32 once every byte was seen and the client verified them
     */
    FooterCrc(long size, LongConsumer completed) {
        this.size = size;
        this.covered = Math.max(0, size - CHECKSUM_BYTES);
        this.completed = completed;
    }

    @Override
    public void update(byte[] bytes, int offset, int length) {
        if (seen < covered) {
            crc.update(bytes, offset, (int) Math.min(length, covered - seen));
        }
        seen += length;
    }

    @Override
    public void complete() {
        // A pass that saw other than the whole file proves nothing: the install then reads the file itself.
        if (seen == size) {
            completed.accept(crc.getValue());
        }
    }
}
