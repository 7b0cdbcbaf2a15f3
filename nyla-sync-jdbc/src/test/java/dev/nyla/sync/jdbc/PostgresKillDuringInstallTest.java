package dev.nyla.sync.jdbc;

/** Kills during installs into a real PostgreSQL 15 (skipped when none answers). */
class PostgresKillDuringInstallTest extends DatabaseKillDuringInstallTest {
    @Override
    Databases database() {
        return Databases.POSTGRES;
    }
}
