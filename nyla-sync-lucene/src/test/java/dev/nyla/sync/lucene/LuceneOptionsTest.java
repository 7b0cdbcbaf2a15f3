package dev.nyla.sync.lucene;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Location parameters, bounds, and the number of graph candidates a search asks for. */
class LuceneOptionsTest {

    @Test
    void parseReadsEveryNamedOptionAndKeepsTheDefaultsOfTheOthers() {
        LuceneOptions o = LuceneOptions.parse("maxConn=32&overFetch=2&minCandidates=250&exactSearchThreshold=0");
        assertEquals(new LuceneOptions(32, 100, Quantization.NONE, 2, 250, 0, 1, 64,
                LuceneOptions.DEFAULTS.buildThreads()), o);
        assertEquals(LuceneOptions.DEFAULTS, LuceneOptions.parse(""));
        assertEquals(100, LuceneOptions.DEFAULTS.minCandidates());
    }

    @Test
    void aCandidateFloorOutOfBoundsIsRefusedNamingTheOptionAndTheRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LuceneOptions.parse("minCandidates=-1"));
        assertEquals("Lucene options: minCandidates: expected 0..10000 but was -1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LuceneOptions.DEFAULTS.withMinCandidates(10_001));
        assertTrue(e.getMessage().contains("minCandidates: expected 0..10000 but was 10001"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LuceneOptions.parse("minCandidate=5"));
        assertTrue(e.getMessage().contains("'minCandidate': expected one of") && e.getMessage().contains("minCandidates"),
                e.getMessage());
    }

    @Test
    void theGraphIsAskedForTheFloorAtSmallKAndForKTimesOverFetchAboveIt() {
        LuceneOptions o = LuceneOptions.DEFAULTS; // over-fetch 4, floor 100
        assertEquals(100, Searches.candidates(1, o));
        assertEquals(100, Searches.candidates(3, o), "k × overFetch = 12 alone missed true neighbours");
        assertEquals(100, Searches.candidates(25, o));
        assertEquals(200, Searches.candidates(50, o));
        assertEquals(12, Searches.candidates(3, o.withMinCandidates(0)), "no floor: k × overFetch");
        assertEquals(40_000, Searches.candidates(10_000, o), "capped at 4 × the largest k");
    }
}
