package dev.nyla.sync.jdbc;

import dev.nyla.sync.DimensionMismatchException;
import dev.nyla.sync.Similarity;
import dev.nyla.sync.store.Generation;
import dev.nyla.sync.store.SearchHit;
import dev.nyla.sync.store.SearchRequest;
import dev.nyla.sync.store.internal.TopK;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Top-k search of the active generation, in one snapshot: an exact scan scored in the JVM, or, on pgvector with
 * an HNSW index, candidates the database orders and the JVM re-scores. Hits are ordered by score, ties by id,
 * as every store orders them.
 */
final class Searches extends StorePart {
    private static final Comparator<Scored> BEST_FIRST = TopK.byScoreThenId(Scored::score, Scored::id);

    Searches(Transactions tx, Generations generations, Dialect dialect, JdbcOptions options, String location) {
        super(tx, generations, dialect, options, location);
    }

    private record Scored(String id, float score, String text, Map<String, String> metadata) {
    }

    /** The best {@code request.k()} hits of the active generation; none when no generation is active. */
    List<SearchHit> search(SearchRequest request) throws IOException {
        return tx.read("search tenant " + request.tenant(), c -> {
            Long active = generations.activeId(c);
            if (active == null) {
                return List.<SearchHit>of();
            }
            Generation g = generations.generation(c, active);
            if (request.vector().length != g.model().dimension()) {
                throw new DimensionMismatchException("query for " + location, g.model().dimension(),
                        request.vector().length);
            }
            List<Scored> best = databaseOrders(g, request) ? candidateSearch(c, g, request, null)
                    : exactSearch(c, g, request);
            List<SearchHit> hits = new ArrayList<>(best.size());
            for (Scored s : best) {
                hits.add(new SearchHit(request.tenant(), s.id, s.score, s.text, s.metadata));
            }
            return hits;
        });
    }

    /**
     * Scores every record of the tenant (that passes the filter) in the JVM, keeping the best k; then reads
     * the text and metadata of those k only. Both statements run in one snapshot.
     */
    private List<Scored> exactSearch(Connection c, Generation g, SearchRequest request) throws SQLException {
        Similarity similarity = g.model().similarity();
        TopK<Scored> top = new TopK<>(request.k(), BEST_FIRST);
        String table = tables.generation(g.id());
        try (PreparedStatement ps = c.prepareStatement("SELECT id, " + dialect.vectorColumn() + " FROM " + table
                + " WHERE tenant = ?" + dialect.filterCondition(request.filter()))) {
            ps.setFetchSize(Transactions.PAGE);
            ps.setString(1, request.tenant());
            dialect.bindFilter(ps, 2, request.filter());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String id = rs.getString(1);
                    float[] v = dialect.readVector(rs, 2, request.tenant() + "/" + id);
                    top.offer(new Scored(id, similarity.score(request.vector(), v), null, null));
                }
            }
        }
        List<Scored> best = top.best();
        Map<String, String[]> content = new HashMap<>();
        dialect.selectByIds(c, g.id(), "id, text, metadata", request.tenant(), best.stream().map(Scored::id).toList(),
                rs -> content.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)}));
        List<Scored> out = new ArrayList<>(best.size());
        for (Scored s : best) {
            String[] textAndMetadata = content.get(s.id);
            if (textAndMetadata == null) {
                throw new SQLException(table + ": record " + request.tenant() + "/" + s.id
                        + " vanished within one snapshot");
            }
            out.add(new Scored(s.id, s.score, textAndMetadata[0],
                    Codec.stringMap(textAndMetadata[1], "metadata of " + request.tenant() + "/" + s.id)));
        }
        return out;
    }

    /**
     * pgvector: the database orders the tenant's records by distance and returns {@code k × overFetch}
     * candidates, through the HNSW index (with an iterative scan, so a tenant or metadata filter still yields
     * enough rows) or, for tenants of at most {@link JdbcOptions#exactSearchThreshold()} records, by an exact
     * sort; the candidates are then re-scored exactly in the JVM on the API's similarity scale, which also
     * settles ties by id.
     */
    private List<Scored> candidateSearch(Connection c, Generation g, SearchRequest request, List<String> plan)
            throws SQLException {
        String table = tables.generation(g.id());
        int candidates = (int) Math.min(100_000L, Math.max((long) request.k() * options.overFetch(), request.k() + 32L));
        boolean exact;
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM (SELECT 1 FROM " + table
                + " WHERE tenant = ?" + dialect.filterCondition(request.filter()) + " LIMIT ?) AS limited")) {
            ps.setString(1, request.tenant());
            int next = dialect.bindFilter(ps, 2, request.filter());
            ps.setLong(next, options.exactSearchThreshold() + 1L);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                exact = rs.getLong(1) <= options.exactSearchThreshold();
            }
        }
        if (!exact) {
            // SET LOCAL: these settings end with the transaction, whatever connection pool the store sits on.
            Dialect.execute(c, "SET LOCAL hnsw.ef_search = " + Math.min(1_000, Math.max(options.efSearch(), candidates)));
            if (((PostgresDialect) dialect).hasIterativeScan()) {
                Dialect.execute(c, "SET LOCAL hnsw.iterative_scan = relaxed_order");
            }
        }
        // The exact sort breaks distance ties by id, so the k + 32 candidates are the right ones even then.
        String order = exact ? PostgresDialect.exactDistance(g.model()) + ", id"
                : PostgresDialect.distance(g.model());
        List<Scored> scored = new ArrayList<>();
        Similarity similarity = g.model().similarity();
        try (PreparedStatement ps = c.prepareStatement((plan != null ? "EXPLAIN " : "") + "SELECT id, text, metadata, "
                + dialect.vectorColumn() + " FROM " + table + " WHERE tenant = ?"
                + dialect.filterCondition(request.filter()) + " ORDER BY " + order + " LIMIT ?")) {
            ps.setString(1, request.tenant());
            int next = dialect.bindFilter(ps, 2, request.filter());
            dialect.bindVector(ps, next, request.vector());
            ps.setInt(next + 1, candidates);
            try (ResultSet rs = ps.executeQuery()) {
                while (plan != null && rs.next()) {
                    plan.add(rs.getString(1));
                }
                while (plan == null && rs.next()) {
                    String id = rs.getString(1);
                    String subject = request.tenant() + "/" + id;
                    float[] v = dialect.readVector(rs, 4, subject);
                    scored.add(new Scored(id, similarity.score(request.vector(), v), rs.getString(2),
                            Codec.stringMap(rs.getString(3), "metadata of " + subject)));
                }
            }
        }
        scored.sort(BEST_FIRST);
        return scored.size() > request.k() ? scored.subList(0, request.k()) : scored;
    }

    /**
     * The database's plan for {@code request}'s candidate query on pgvector (for operators and tests: which
     * index a search walks); empty for dialects that score in the JVM.
     */
    List<String> explain(SearchRequest request) throws IOException {
        return tx.read("explain a search", c -> {
            Long active = generations.activeId(c);
            List<String> plan = new ArrayList<>();
            if (active != null) {
                Generation g = generations.generation(c, active);
                if (databaseOrders(g, request)) {
                    candidateSearch(c, g, request, plan);
                }
            }
            return plan;
        });
    }

    /**
     * Whether the database orders the candidates ({@link #candidateSearch}, pgvector with an HNSW index)
     * rather than the JVM scoring every record ({@link #exactSearch}). pgvector neither indexes nor finds
     * anything for an all-zero vector under cosine, so such queries are scored in the JVM.
     */
    private boolean databaseOrders(Generation g, SearchRequest request) {
        return dialect instanceof PostgresDialect p && p.hasVectorIndex(g.model())
                && !(g.model().similarity() == Similarity.COSINE && isZero(request.vector()));
    }

    private static boolean isZero(float[] v) {
        for (float f : v) {
            if (f != 0f) {
                return false;
            }
        }
        return true;
    }
}
