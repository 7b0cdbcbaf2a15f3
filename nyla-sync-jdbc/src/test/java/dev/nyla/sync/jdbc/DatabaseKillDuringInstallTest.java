package dev.nyla.sync.jdbc;

import dev.nyla.sync.client.KillDuringInstallContract;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.VectorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;

/**
 * Installs into a JDBC store killed with SIGKILL leave exactly the old or the new version, under a table
 * prefix of the test's own. A leftover is a table of the prefix that is not the store's or a generation's
 * it lists, or a generation row not in state {@code committed}.
 */
abstract class DatabaseKillDuringInstallTest extends KillDuringInstallContract {
    private final String prefix = TestDatabases.uniquePrefix();
    private DataSource ds;

    abstract Databases database();

    @Override
    protected String location(Path directory) throws IOException {
        Files.createDirectories(directory);
        ds = database().dataSource(directory);
        return database().location(directory, prefix);
    }

    @Override
    protected List<String> leftovers(VectorStore store) throws IOException {
        Tables names = new Tables("", prefix);
        Set<String> expected = new TreeSet<>(List.of(prefix + "_store", prefix + "_generations"));
        for (Generation g : store.generations()) {
            expected.add(names.generationName(g.id()));
        }
        List<String> out = new ArrayList<>();
        try {
            List<String> tables = database().tables(ds, prefix);
            tables.stream().filter(t -> !expected.contains(t)).forEach(t -> out.add("stray table " + t));
            expected.stream().filter(t -> !tables.contains(t)).forEach(t -> out.add("missing table " + t));
            try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT id, state FROM " + names.generations() + " WHERE state <> 'committed'")) {
                while (rs.next()) {
                    out.add("generation " + rs.getLong(1) + " in state " + rs.getString(2));
                }
            }
        } catch (SQLException e) {
            throw new IOException("listing the tables of " + prefix + ": " + e.getMessage(), e);
        }
        return out;
    }

    @AfterEach
    void dropTables() throws SQLException {
        database().cleanUp(ds, prefix);
    }
}
