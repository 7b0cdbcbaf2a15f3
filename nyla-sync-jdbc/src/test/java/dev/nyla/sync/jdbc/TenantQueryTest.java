package dev.nyla.sync.jdbc;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The :tenant scanner replaces parameters only, whatever SQL surrounds them. */
class TenantQueryTest {

    private static void assertParsed(String query, String sql, int parameters) {
        TenantQuery q = TenantQuery.parse(query);
        assertEquals(sql, q.sql(), query);
        assertEquals(parameters, q.tenantParameters(), query);
    }

    @Test
    void everyTenantParameterBecomesAPlaceholder() {
        assertParsed("SELECT id, body AS text FROM p WHERE tenant = :tenant OR owner = :tenant",
                "SELECT id, body AS text FROM p WHERE tenant = ? OR owner = ?", 2);
        assertParsed("SELECT * FROM p WHERE t=:tenant", "SELECT * FROM p WHERE t=?", 1);
        assertParsed("SELECT * FROM p WHERE t IN (:tenant)", "SELECT * FROM p WHERE t IN (?)", 1);
        assertParsed("SELECT * FROM p WHERE t = :tenant\n", "SELECT * FROM p WHERE t = ?\n", 1);
    }

    @Test
    void castsLiteralsIdentifiersDollarQuotesAndCommentsAreLeftAlone() {
        assertParsed("SELECT id::text, x::tenant FROM p WHERE t = :tenant::text",
                "SELECT id::text, x::tenant FROM p WHERE t = ?::text", 1);
        assertParsed("SELECT ':tenant' AS a, 'it''s :tenant' AS b FROM p WHERE t = :tenant",
                "SELECT ':tenant' AS a, 'it''s :tenant' AS b FROM p WHERE t = ?", 1);
        assertParsed("SELECT E'\\' :tenant' AS a FROM p WHERE t = :tenant",
                "SELECT E'\\' :tenant' AS a FROM p WHERE t = ?", 1);
        assertParsed("SELECT \":tenant\" FROM \"a\"\"b\" WHERE t = :tenant",
                "SELECT \":tenant\" FROM \"a\"\"b\" WHERE t = ?", 1);
        assertParsed("SELECT $$ :tenant $$, $q$ :tenant $$ $q$ FROM p WHERE t = :tenant",
                "SELECT $$ :tenant $$, $q$ :tenant $$ $q$ FROM p WHERE t = ?", 1);
        assertParsed("SELECT 1 -- :tenant\nFROM p /* :tenant /* nested :tenant */ :tenant */ WHERE t = :tenant",
                "SELECT 1 -- :tenant\nFROM p /* :tenant /* nested :tenant */ :tenant */ WHERE t = ?", 1);
    }

    @Test
    void longerNamesArePartOfTheirIdentifier() {
        assertParsed("SELECT * FROM p WHERE a = :tenant_id AND b = :tenants AND c = :tenant",
                "SELECT * FROM p WHERE a = :tenant_id AND b = :tenants AND c = ?", 1);
    }

    @Test
    void positionalParametersAndIdentifiersWithDollarsAreNotDollarQuotes() {
        assertParsed("SELECT a$b$c FROM p WHERE t = :tenant", "SELECT a$b$c FROM p WHERE t = ?", 1);
    }

    @Test
    void aTrailingSemicolonIsDroppedSoTheQueryCanBeASubquery() {
        assertParsed("SELECT id, text FROM p; -- done\n", "SELECT id, text FROM p  -- done\n", 0);
    }

    @Test
    void twoStatementsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TenantQuery.parse("SELECT 1; DROP TABLE p"));
        assertTrue(e.getMessage().contains("expected one statement"), e.getMessage());
    }

    @Test
    void aLoneQuestionMarkIsRefusedButTheJsonbOperatorEscapeIsKept() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TenantQuery.parse("SELECT * FROM p WHERE t = ?"));
        assertTrue(e.getMessage().contains("offset 26") && e.getMessage().contains(":tenant"), e.getMessage());
        assertParsed("SELECT * FROM p WHERE m ?? 'k' AND t = :tenant", "SELECT * FROM p WHERE m ?? 'k' AND t = ?", 1);
        assertParsed("SELECT '?' FROM p", "SELECT '?' FROM p", 0);
    }

    @Test
    void unterminatedLiteralsAndCommentsNameTheirOffset() {
        for (String q : new String[] {"SELECT 'abc", "SELECT \"abc", "SELECT $x$ abc", "SELECT /* abc"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TenantQuery.parse(q));
            assertTrue(e.getMessage().contains("offset 7") && e.getMessage().contains("ended first"), e.getMessage());
        }
    }
}
