package dev.nyla.sync.jdbc;

import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.SourceRecord;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.internal.BuilderOptions;
import dev.nyla.sync.reconcile.SourceException;
import dev.nyla.sync.reconcile.SourceOfTruth;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SourceOfTruth} read from a relational database with SQL queries: the application's own table of
 * profiles, documents or products, reconciled against a vector store.
 *
 * <pre>{@code
 * JdbcSource source = JdbcSource.builder()
 *         .dataSource(dataSource)
 *         .recordsQuery("SELECT id, body AS text, lang FROM profiles WHERE tenant = :tenant")
 *         .tenantsQuery("SELECT tenant FROM profiles")
 *         .build();
 * }</pre>
 *
 * <h2>Queries</h2>
 * The <em>records query</em> yields one row per record. It may use the named parameter {@code :tenant},
 * bound to the tenant being read wherever it occurs (never inside string literals, quoted identifiers,
 * dollar quotes or comments; {@code ::type} casts are left alone). Its columns, found by label in any case:
 * <ul>
 *   <li>{@code id} (required): the record's id, of any type; read as text (an integer id 10 is "10", a
 *       uuid its canonical form);</li>
 *   <li>{@code text} (required): the text to embed;</li>
 *   <li>{@code metadata} (optional): a JSON object (PostgreSQL {@code jsonb} or {@code json}, or JSON text);
 *       string values are kept as they are, other values as their JSON text, JSON nulls are dropped;</li>
 *   <li>every other column: one metadata entry named by its label, the value as the driver's
 *       {@code getString} gives it (PostgreSQL booleans read {@code t}/{@code f}; cast in the query for
 *       another form), omitted when NULL. A column wins over a key of the same name in {@code metadata}.</li>
 * </ul>
 * The <em>tenants query</em> (optional) yields tenant names in its first column; duplicates and NULLs are
 * dropped. A records query with {@code :tenant} needs one; a records query without {@code :tenant} and
 * without a tenants query is one tenant, {@link VectorRecord#DEFAULT_TENANT}.
 *
 * <h2>Order</h2>
 * The reconciler needs records in {@link RecordKeys} order, which is not the order of an integer column nor
 * that of a database's default collation, so the source wraps the queries and sorts by the id's text:
 * {@code SELECT * FROM (<records query>) nyla_q ORDER BY CAST(nyla_q.id AS text) COLLATE "C"} on PostgreSQL,
 * {@code COLLATE BINARY} on SQLite (both are code-point order). Ids 1, 2 and 10 come out "1", "10", "2". A
 * record's id is that same text of the id as the database computed it, so order and ids always agree. On
 * other databases the source sorts by {@code CAST(id AS VARCHAR(1024))} and relies on the reconciler's order
 * check to report a collation that differs. The query must therefore be usable as a subquery (one
 * statement; a trailing {@code ;} is dropped).
 *
 * <h2>Connections</h2>
 * Each stream reads through a cursor on a connection of its own (autocommit off, read-only where the driver
 * allows, {@linkplain Builder#fetchSize(int) fetch size} rows per round trip), given back to the data source
 * when the stream is closed or read to its end. {@link #existing} looks ids up in statements of at most 500
 * ids; when the id column is of a character type the comparison can use an index on it, otherwise the ids
 * are compared as text. The source does not own the data source; {@link #close()} does nothing.
 *
 * <p>A source is immutable and thread-safe.
 */
public final class JdbcSource implements SourceOfTruth {
    private static final Logger LOG = LoggerFactory.getLogger(JdbcSource.class);
    /** Ids per {@code IN} list of {@link #existing}. */
    static final int IN_LIST = 500;

    private final DataSource dataSource;
    private final boolean postgres;
    private final String database;
    private final String description;
    private final TenantQuery records;
    private final boolean perTenant;
    private final String recordsSql;
    private final String tenantsSql;
    private final String anyRecordSql;
    private final String existingSql;
    private final int fetchSize;

    private JdbcSource(Builder b, String database, boolean postgres, TenantQuery records, String recordsSql,
                       String tenantsSql, String anyRecordSql, String existingSql) {
        this.dataSource = b.dataSource;
        this.postgres = postgres;
        this.database = database;
        this.description = database + " (records query)";
        this.records = records;
        this.perTenant = records.tenantParameters() > 0;
        this.recordsSql = recordsSql;
        this.tenantsSql = tenantsSql;
        this.anyRecordSql = anyRecordSql;
        this.existingSql = existingSql;
        this.fetchSize = b.fetchSize;
    }

    /** A builder; a data source and a records query are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The database's JDBC URL without its password, and which query: {@code jdbc:postgresql://db/app (records query)}. */
    @Override
    public String describe() {
        return description;
    }

    @Override
    public Stream<String> tenants() throws IOException {
        if (!perTenant) {
            // One tenant, which exists only when the query yields a row.
            try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(anyRecordSql)) {
                ps.setMaxRows(1);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Stream.of(VectorRecord.DEFAULT_TENANT) : Stream.empty();
                }
            } catch (SQLException e) {
                throw new SourceException(description + ": whether the records query yields any row: " + e.getMessage(), e);
            }
        }
        String subject = database + " (tenants query)";
        // Names are passed on as they are: one that no store can hold fails that tenant alone in the
        // reconciler, instead of ending a run over all tenants here.
        return new SourceCursor<>(dataSource, fetchSize, subject + ": tenants", tenantsSql, null,
                (rs, row) -> rs.getString(1)).stream();
    }

    @Override
    public Stream<SourceRecord> records(String tenant) throws IOException {
        Objects.requireNonNull(tenant, "tenant");
        if (!perTenant && !tenant.equals(VectorRecord.DEFAULT_TENANT)) {
            return Stream.empty();
        }
        String subject = description + ": records of tenant '" + tenant + "'";
        SourceColumns[] columns = new SourceColumns[1];
        return new SourceCursor<>(dataSource, fetchSize, subject, recordsSql, ps -> bindTenant(ps, tenant), (rs, row) -> {
            if (columns[0] == null) {
                columns[0] = SourceColumns.of(rs.getMetaData(), rs.getMetaData().getColumnCount() - 1, description);
            }
            return columns[0].record(rs, tenant, row, subject);
        }).stream();
    }

    /** Looks the ids up in statements of at most 500 ids each. */
    @Override
    public Set<String> existing(String tenant, Collection<String> ids) throws IOException {
        Objects.requireNonNull(tenant, "tenant");
        Set<String> found = new HashSet<>();
        if (ids.isEmpty() || !perTenant && !tenant.equals(VectorRecord.DEFAULT_TENANT)) {
            return found;
        }
        List<String> wanted = List.copyOf(new LinkedHashSet<>(ids));
        try (Connection c = dataSource.getConnection()) {
            for (int from = 0; from < wanted.size(); from += IN_LIST) {
                List<String> chunk = wanted.subList(from, Math.min(wanted.size(), from + IN_LIST));
                String sql = existingSql + String.join(", ", Collections.nCopies(chunk.size(), "?")) + ")";
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    int p = bindTenant(ps, tenant);
                    for (String id : chunk) {
                        ps.setString(p++, id);
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            String id = rs.getString(1);
                            if (id != null) {
                                found.add(id);
                            }
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw new SourceException(description + ": look up " + wanted.size() + " ids of tenant '" + tenant + "': "
                    + e.getMessage(), e);
        }
        found.retainAll(wanted);
        return found;
    }

    /** Binds {@code tenant} to every {@code :tenant} of the records query; returns the next parameter index. */
    private int bindTenant(PreparedStatement ps, String tenant) throws SQLException {
        for (int i = 1; i <= records.tenantParameters(); i++) {
            if (postgres) {
                // Untyped, so the server infers the parameter's type from the query: user_id = :tenant works on
                // an integer column (and keeps its index), as it would in psql.
                ps.setObject(i, tenant, Types.OTHER);
            } else {
                ps.setString(i, tenant);
            }
        }
        return records.tenantParameters() + 1;
    }

    @Override
    public String toString() {
        return "JdbcSource[" + description + "]";
    }

    // ---- building ------------------------------------------------------------------------------------------

    /** How the queries are wrapped to sort by code point, per database product. */
    private enum Product {
        POSTGRESQL("text", " COLLATE \"C\""),
        SQLITE("TEXT", " COLLATE BINARY"),
        OTHER("VARCHAR(1024)", "");

        final String textType;
        final String collation;

        Product(String textType, String collation) {
            this.textType = textType;
            this.collation = collation;
        }

        static Product of(String name) {
            if ("PostgreSQL".equalsIgnoreCase(name)) {
                return POSTGRESQL;
            }
            if ("SQLite".equalsIgnoreCase(name)) {
                return SQLITE;
            }
            return OTHER;
        }

        String asText(String column) {
            return "CAST(" + column + " AS " + textType + ")";
        }
    }

    /**
     * Builds a {@link JdbcSource}. Each option is set once: calling a setter a second time throws an
     * {@link IllegalStateException} naming the option and its value, rather than silently replacing it
     * ({@link #dataSource} and {@link #url} are one option); a bad value throws an
     * {@link IllegalArgumentException} naming the option.
     */
    public static final class Builder {
        /** The one option {@code dataSource} and {@code url} both set. */
        private static final String WHERE = "dataSource or url";

        private final BuilderOptions options = new BuilderOptions("JdbcSource.Builder");
        private DataSource dataSource;
        private String recordsQuery;
        private String tenantsQuery;
        private int fetchSize = 1_000;

        private Builder() {
        }

        /** Where the queries run (required): the application's pool, or any data source. */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = options.once(WHERE, dataSource);
            return this;
        }

        /**
         * Where the queries run, by JDBC URL ({@code jdbc:postgresql://host/db?user=..&password=..} or
         * {@code jdbc:sqlite:<file>}): a data source that opens a connection per stream, for tools and scripts
         * without a pool of their own. It sets the same option as {@link #dataSource}: give one of the two, once.
         */
        public Builder url(String jdbcUrl) {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            if (!jdbcUrl.startsWith("jdbc:")) {
                throw new IllegalArgumentException("JDBC URL: expected jdbc:<driver>:… but was '"
                        + JdbcStoreProvider.redact(jdbcUrl) + "'");
            }
            JdbcDrivers.missing(jdbcUrl, JdbcStoreProvider.redact(jdbcUrl)).ifPresent(message -> {
                throw new IllegalStateException(message);
            });
            DataSource fromUrl = jdbcUrl.startsWith("jdbc:sqlite:") ? readOnlySqlite(jdbcUrl)
                    : new DriverDataSource(jdbcUrl);
            // Shown redacted: the URL may carry a password.
            this.dataSource = options.once(WHERE, fromUrl, "'" + JdbcStoreProvider.redact(jdbcUrl) + "'");
            return this;
        }

        /**
         * A source only reads: SQLite opened read-only, its journal mode left as the application set it, and a
         * missing file an error rather than a new empty database.
         */
        private static DataSource readOnlySqlite(String url) {
            String file = url.substring("jdbc:sqlite:".length()).replaceFirst("\\?.*$", "");
            if (!file.isEmpty() && !file.startsWith(":") && !file.startsWith("file:")
                    && !java.nio.file.Files.isRegularFile(java.nio.file.Path.of(file))) {
                throw new IllegalArgumentException("JDBC URL '" + url + "': expected an existing SQLite database, but "
                        + java.nio.file.Path.of(file).toAbsolutePath() + " does not exist");
            }
            return SqliteDataSources.of(url, true);
        }

        /**
         * The query yielding the records (required): columns {@code id}, {@code text}, optionally
         * {@code metadata} and others (see the class description); {@code :tenant} where the tenant goes.
         */
        public Builder recordsQuery(String sql) {
            this.recordsQuery = options.once("recordsQuery", sql);
            return this;
        }

        /** The query yielding the tenant names in its first column; required when the records query has {@code :tenant}. */
        public Builder tenantsQuery(String sql) {
            this.tenantsQuery = options.once("tenantsQuery", sql);
            return this;
        }

        /** Rows fetched per round trip while streaming; default 1,000. */
        public Builder fetchSize(int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("fetchSize: expected >= 1 but was " + rows);
            }
            this.fetchSize = options.once("fetchSize", rows);
            return this;
        }

        /**
         * Checks the configuration and the queries against the database: both are run once with a condition
         * that matches no row, so a syntax error or a missing {@code id} or {@code text} column fails here.
         *
         * @throws IllegalStateException    when the data source or records query is missing, or the records
         *                                  query and the tenants query do not go together
         * @throws IllegalArgumentException when a query cannot be parsed (an unterminated literal, a {@code ?},
         *                                  two statements)
         * @throws SourceException          when the database refuses a query or the records query lacks a column
         */
        public JdbcSource build() throws IOException {
            if (dataSource == null) {
                throw new IllegalStateException("a JDBC source needs a data source: builder().dataSource(...)");
            }
            if (recordsQuery == null) {
                throw new IllegalStateException("a JDBC source needs a records query: builder().recordsQuery(...)");
            }
            TenantQuery records = TenantQuery.parse(recordsQuery);
            TenantQuery tenants = tenantsQuery == null ? null : TenantQuery.parse(tenantsQuery);
            if (records.tenantParameters() > 0 && tenants == null) {
                throw new IllegalStateException("the records query uses :tenant, so the source needs a tenants query"
                        + " listing the tenants (builder().tenantsQuery(\"SELECT DISTINCT tenant FROM ...\")); without"
                        + " :tenant the records query is the one tenant '" + VectorRecord.DEFAULT_TENANT + "'");
            }
            if (tenants != null && records.tenantParameters() == 0) {
                throw new IllegalStateException("a tenants query was given but the records query has no :tenant, so"
                        + " every tenant would get the same records; filter the records query by :tenant");
            }
            if (tenants != null && tenants.tenantParameters() > 0) {
                throw new IllegalArgumentException("the tenants query must not use :tenant (it lists the tenants): "
                        + tenantsQuery);
            }
            try (Connection c = dataSource.getConnection()) {
                DatabaseMetaData md = c.getMetaData();
                String url = md.getURL();
                String base = url == null ? "jdbc:" + md.getDatabaseProductName() : JdbcStoreProvider.redact(url);
                String description = base + " (records query)";
                Product product = Product.of(md.getDatabaseProductName());
                String quote = md.getIdentifierQuoteString();
                if (quote == null || quote.isBlank()) {
                    quote = "\"";
                }

                String wrapped = "(\n" + records.sql() + "\n) nyla_q";
                ResultSetMetaData probe;
                String idColumn;
                boolean textId;
                try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + wrapped + " WHERE 1 = 0")) {
                    for (int i = 1; i <= records.tenantParameters(); i++) {
                        // NULL, not "": an empty string is not a valid value of an integer tenant column.
                        ps.setNull(i, product == Product.POSTGRESQL ? Types.OTHER : Types.VARCHAR);
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        probe = rs.getMetaData();
                        SourceColumns columns = SourceColumns.of(probe, probe.getColumnCount(), description);
                        idColumn = "nyla_q." + quoted(probe.getColumnLabel(columns.id()), quote);
                        textId = isCharacterType(probe.getColumnType(columns.id()), probe.getColumnTypeName(columns.id()));
                    }
                } catch (SQLException e) {
                    throw new SourceException(description + ": the database refuses the query: " + e.getMessage(), e);
                }
                String idText = product.asText(idColumn);
                String recordsSql = "SELECT nyla_q.*, " + idText + " AS nyla_id FROM " + wrapped + " ORDER BY " + idText
                        + product.collation;
                String anyRecordSql = "SELECT 1 FROM " + wrapped;
                // An id column of a character type is compared as it is, so that an index on it can serve.
                String existingSql = "SELECT " + idText + " FROM " + wrapped + " WHERE "
                        + (textId ? idColumn : idText) + " IN (";

                String tenantsSql = null;
                if (tenants != null) {
                    String tenantsDescription = base + " (tenants query)";
                    String tWrapped = "(\n" + tenants.sql() + "\n) nyla_t";
                    String first;
                    try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + tWrapped + " WHERE 1 = 0");
                         ResultSet rs = ps.executeQuery()) {
                        first = "nyla_t." + quoted(rs.getMetaData().getColumnLabel(1), quote);
                    } catch (SQLException e) {
                        throw new SourceException(tenantsDescription + ": the database refuses the query: "
                                + e.getMessage(), e);
                    }
                    tenantsSql = "SELECT DISTINCT " + product.asText(first) + (product == Product.POSTGRESQL
                            ? product.collation : "") + " AS nyla_tenant FROM " + tWrapped + " WHERE " + first
                            + " IS NOT NULL ORDER BY nyla_tenant" + (product == Product.POSTGRESQL ? "" : product.collation);
                }
                return new JdbcSource(this, base, product == Product.POSTGRESQL, records, recordsSql, tenantsSql,
                        anyRecordSql, existingSql);
            } catch (SQLException e) {
                throw new SourceException("JDBC source: cannot connect to read the database's metadata: "
                        + e.getMessage(), e);
            }
        }

        private static String quoted(String label, String quote) {
            return quote + label.replace(quote, quote + quote) + quote;
        }

        private static boolean isCharacterType(int type, String typeName) {
            return switch (type) {
                // Not CHAR(n): its text drops the padding, so it is compared through the cast like other types.
                case Types.VARCHAR, Types.LONGVARCHAR, Types.NVARCHAR, Types.LONGNVARCHAR -> true;
                default -> "text".equalsIgnoreCase(typeName);
            };
        }
    }
}
