package dev.nyla.sync.jdbc;

import java.sql.SQLException;
import java.sql.Statement;

/** Checks the update counts of JDBC batches instead of assuming them. */
final class Batches {
    private Batches() {
    }

    /**
     * Requires every count of {@code counts} to be {@code expected}; a driver that reports
     * {@link Statement#SUCCESS_NO_INFO} (such as pgjdbc with {@code reWriteBatchedInserts}) is trusted for the
     * row and the caller verifies the total otherwise.
     *
     * @return the rows affected, counting {@code SUCCESS_NO_INFO} as {@code expected}
     */
    static long requireEach(int[] counts, int expected, String what) throws SQLException {
        long total = 0;
        for (int i = 0; i < counts.length; i++) {
            int n = counts[i];
            if (n == Statement.SUCCESS_NO_INFO) {
                total += expected;
            } else if (n != expected) {
                throw new SQLException(what + ": row " + i + " of the batch: expected " + expected
                        + " row(s) affected but was " + n);
            } else {
                total += n;
            }
        }
        return total;
    }

    /**
     * Requires every count of a batch of single-key deletes to be 0 or 1 (or {@link Statement#SUCCESS_NO_INFO});
     * returns the rows the driver reported deleted.
     */
    static int requireDeletes(int[] counts, String what) throws SQLException {
        int deleted = 0;
        for (int i = 0; i < counts.length; i++) {
            int n = counts[i];
            if (n == Statement.SUCCESS_NO_INFO) {
                continue;
            }
            if (n != 0 && n != 1) {
                throw new SQLException(what + ": row " + i + " of the batch: expected 0 or 1 rows deleted but was " + n);
            }
            deleted += n;
        }
        return deleted;
    }

    /** Whether the driver left any count of the batch unreported ({@link Statement#SUCCESS_NO_INFO}). */
    static boolean anyUnknown(int[] counts) {
        for (int n : counts) {
            if (n == Statement.SUCCESS_NO_INFO) {
                return true;
            }
        }
        return false;
    }
}
