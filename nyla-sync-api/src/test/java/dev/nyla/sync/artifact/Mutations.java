package dev.nyla.sync.artifact;

import java.util.Random;

/**
 * Seeded mutations of a valid input for the fuzz tests of the artifact readers (manifest, signature, record
 * files): each returns a new array and leaves its argument as it was.
 */
public final class Mutations {
    private Mutations() {
    }

    /**
     * 1 to 4 edits, each one of: a byte replaced by a random one, a byte of {@code inserts} inserted, a byte
     * deleted, a run of up to 40 bytes duplicated in place.
     *
     * @param inserts the bytes worth inserting for the format at hand (those that mean something to its parser)
     */
    public static byte[] edit(byte[] original, Random random, String inserts) {
        byte[] b = original.clone();
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits && b.length > 1; e++) {
            int at = random.nextInt(b.length);
            switch (random.nextInt(4)) {
                case 0 -> b[at] = (byte) random.nextInt(256);
                case 1 -> {
                    byte[] c = new byte[b.length + 1];
                    System.arraycopy(b, 0, c, 0, at);
                    c[at] = (byte) inserts.charAt(random.nextInt(inserts.length()));
                    System.arraycopy(b, at, c, at + 1, b.length - at);
                    b = c;
                }
                case 2 -> {
                    byte[] c = new byte[b.length - 1];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + 1, c, at, b.length - at - 1);
                    b = c;
                }
                default -> {
                    int len = Math.min(b.length - at, 1 + random.nextInt(40));
                    byte[] c = new byte[b.length + len];
                    System.arraycopy(b, 0, c, 0, at + len);
                    System.arraycopy(b, at, c, at + len, b.length - at);
                    b = c;
                }
            }
        }
        return b;
    }

    /** 1 to 3 single bits flipped. */
    public static byte[] flipBits(byte[] original, Random random) {
        byte[] b = original.clone();
        for (int n = 1 + random.nextInt(3); n > 0; n--) {
            b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return b;
    }

    /** The first 0 to {@code length - 1} bytes. */
    public static byte[] truncate(byte[] original, Random random) {
        return java.util.Arrays.copyOf(original, random.nextInt(original.length));
    }

    /** The little-endian unsigned integer of {@code width} bytes at {@code offset} set to the low bytes of {@code value}. */
    public static byte[] setLittleEndian(byte[] original, int offset, int width, long value) {
        byte[] b = original.clone();
        for (int i = 0; i < width; i++) {
            b[offset + i] = (byte) (value >>> (8 * i));
        }
        return b;
    }
}
