package dev.nyla.sync;

import java.io.IOException;

/**
 * Base of every failure nyla-sync reports about data: artifacts, stores, embedders.
 *
 * <p>Where a failure is a mismatch, the exception names the thing that was checked ({@link #subject()}),
 * what was expected and what was found, so that a log line alone says what went wrong. Subclasses say
 * which kind of failure it was; callers catch the kind they can handle and let the rest propagate.
 *
 * <p>It extends {@link IOException} because every such failure arises while reading or writing data, and
 * streaming code that already handles I/O failures handles these too.
 */
public class NylaSyncException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String subject;
    private final String expected;
    private final String actual;

    /** A failure described by a whole message. */
    public NylaSyncException(String message) {
        this(message, (Throwable) null);
    }

    /** A failure described by a whole message, caused by {@code cause}. */
    public NylaSyncException(String message, Throwable cause) {
        super(message, cause);
        this.subject = "";
        this.expected = "";
        this.actual = "";
    }

    /**
     * A mismatch: {@code subject} (a file, a record, a field) had {@code actual} where {@code expected} was
     * required. The message reads "{subject}: {what}: expected {expected} but was {actual}".
     */
    public NylaSyncException(String subject, String what, Object expected, Object actual) {
        this(subject, what, expected, actual, null);
    }

    /** A mismatch, as {@link #NylaSyncException(String, String, Object, Object)}, caused by {@code cause}. */
    public NylaSyncException(String subject, String what, Object expected, Object actual, Throwable cause) {
        super(subject + ": " + what + ": expected " + expected + " but was " + actual, cause);
        this.subject = subject;
        this.expected = String.valueOf(expected);
        this.actual = String.valueOf(actual);
    }

    /** The file, record or setting that failed the check; empty when the message says it all. */
    public String subject() {
        return subject;
    }

    /** What the check required; empty when this is not a mismatch. */
    public String expected() {
        return expected;
    }

    /** What the check found; empty when this is not a mismatch. */
    public String actual() {
        return actual;
    }
}
