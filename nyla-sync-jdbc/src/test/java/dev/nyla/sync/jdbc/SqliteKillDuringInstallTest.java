package dev.nyla.sync.jdbc;

/** Kills during installs into SQLite, the embedded default. */
class SqliteKillDuringInstallTest extends DatabaseKillDuringInstallTest {
    @Override
    Databases database() {
        return Databases.SQLITE;
    }
}
