package dev.nyla.sync;

import java.util.Comparator;

/**
 * The one order of record keys used everywhere: payload files, store inventories, reconciliation diffs.
 *
 * <p>Keys are compared by Unicode code point, which is the order of their UTF-8 bytes. That is the order
 * Lucene keeps terms in and the order of PostgreSQL's {@code COLLATE "C"}, so every store can stream its
 * inventory already sorted and two sorted streams can be merged without holding either in memory.
 * ({@link String#compareTo} compares UTF-16 units, which differs for characters outside the BMP.)
 */
public final class RecordKeys {
    /** Compares strings by code point. */
    public static final Comparator<String> ORDER = RecordKeys::compare;

    private RecordKeys() {
    }

    /** Compares {@code a} and {@code b} by Unicode code point (the order of their UTF-8 encodings). */
    public static int compare(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char ca = a.charAt(i);
            char cb = b.charAt(i);
            if (ca != cb) {
                // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, so they sort after every BMP char.
                boolean sa = Character.isSurrogate(ca);
                boolean sb = Character.isSurrogate(cb);
                if (sa != sb) {
                    return sa ? 1 : -1;
                }
                return ca - cb;
            }
        }
        return a.length() - b.length();
    }

    /**
     * Checks that (tenant, id) is a valid key: each non-empty, at most {@link VectorRecord#MAX_TENANT_BYTES}
     * and {@link VectorRecord#MAX_ID_BYTES} UTF-8 bytes, valid Unicode, no control characters.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static void requireValid(String tenant, String id) {
        VectorRecord.requireKey("tenant", tenant, VectorRecord.MAX_TENANT_BYTES);
        VectorRecord.requireKey("id", id, VectorRecord.MAX_ID_BYTES);
    }

    /** Compares the keys (tenant, id): by tenant first, then by id, each by code point. */
    public static int compare(String tenantA, String idA, String tenantB, String idB) {
        int c = compare(tenantA, tenantB);
        return c != 0 ? c : compare(idA, idB);
    }
}
