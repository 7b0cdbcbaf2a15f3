package dev.nyla.sync.jdbc;

import dev.nyla.sync.reconcile.SourceException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A result set read through a cursor on a connection of its own, as a stream; the connection goes back
 * when the stream is closed or read to its end. {@link JdbcSource} reads its tenants and records this way.
 */
final class SourceCursor<T> implements Iterator<T> {
    private static final Logger LOG = LoggerFactory.getLogger(SourceCursor.class);

    /** Maps the current row of a result set. */
    interface RowMapper<T> {
        T map(ResultSet rs, long row) throws SQLException, SourceException;
    }

    /** Binds a statement's parameters. */
    interface Parameters {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private final DataSource dataSource;
    private final int fetchSize;
    private final String subject;
    private final String sql;
    private final Parameters parameters;
    private final RowMapper<T> mapper;
    private Connection connection;
    private boolean readOnlySet;
    private PreparedStatement statement;
    private ResultSet rows;
    private long row;
    private T next;
    private boolean done;

    /**
     * @param subject    what is read, for messages
     * @param parameters binds the statement's parameters; null when it has none
     */
    SourceCursor(DataSource dataSource, int fetchSize, String subject, String sql, Parameters parameters,
                 RowMapper<T> mapper) {
        this.dataSource = dataSource;
        this.fetchSize = fetchSize;
        this.subject = subject;
        this.sql = sql;
        this.parameters = parameters;
        this.mapper = mapper;
    }

    Stream<T> stream() throws SourceException {
        try {
            connection = dataSource.getConnection();
            try {
                connection.setReadOnly(true);
                readOnlySet = true;
            } catch (SQLException e) {
                // A hint only; SQLite's driver cannot change it on an open connection.
                LOG.trace("{}: connection stays read-write: {}", subject, e.getMessage());
            }
            // PostgreSQL streams with a cursor only outside autocommit; elsewhere it reads everything at once.
            connection.setAutoCommit(false);
            statement = connection.prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
            statement.setFetchSize(fetchSize);
            if (parameters != null) {
                parameters.bind(statement);
            }
            rows = statement.executeQuery();
        } catch (SQLException e) {
            close();
            throw new SourceException(subject + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this,
                Spliterator.ORDERED | Spliterator.NONNULL), false).onClose(this::close);
    }

    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        if (done) {
            return false;
        }
        try {
            if (!rows.next()) {
                done = true;
                close();
                return false;
            }
            row++;
            next = mapper.map(rows, row);
            return true;
        } catch (SQLException e) {
            close();
            SourceException failure = new SourceException(subject + ": row " + (row + 1) + ": " + e.getMessage(), e);
            throw new UncheckedIOException(failure.getMessage(), failure);
        } catch (SourceException e) {
            close();
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        T t = next;
        next = null;
        return t;
    }

    /** Gives the connection back as a pool expects it: transaction ended, autocommit on, read-write. */
    void close() {
        done = true;
        Connection c = connection;
        if (c == null) {
            return;
        }
        connection = null;
        try {
            if (rows != null) {
                rows.close();
            }
            if (statement != null) {
                statement.close();
            }
        } catch (SQLException e) {
            LOG.debug("{}: closing the cursor: {}", subject, e.getMessage());
        }
        Transactions.rollbackQuietly(c);
        Transactions.restoreAutoCommit(c);
        try {
            if (readOnlySet) {
                c.setReadOnly(false);
            }
        } catch (SQLException e) {
            LOG.debug("{}: restoring read-write: {}", subject, e.getMessage());
        }
        try {
            c.close();
        } catch (SQLException e) {
            // Nothing was written; the pool discards a connection that fails to close.
            LOG.debug("{}: closing the connection: {}", subject, e.getMessage());
        }
    }
}
