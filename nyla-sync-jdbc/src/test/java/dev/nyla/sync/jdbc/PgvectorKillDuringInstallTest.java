package dev.nyla.sync.jdbc;

/** Kills during installs into pgvector on the PGlite socket server (skipped when none answers). */
class PgvectorKillDuringInstallTest extends DatabaseKillDuringInstallTest {
    @Override
    Databases database() {
        return Databases.PGVECTOR;
    }
}
