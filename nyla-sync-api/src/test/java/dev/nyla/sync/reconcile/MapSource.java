package dev.nyla.sync.reconcile;

import dev.nyla.sync.RecordKeys;
import dev.nyla.sync.SourceRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * An editable source of truth held in memory, as tests need one: records can be put and removed between and
 * during reconciler runs, a tenant can be made to fail, and probes are counted. Streams are snapshots.
 */
public final class MapSource implements SourceOfTruth {
    private final Map<String, TreeMap<String, SourceRecord>> tenants = new TreeMap<>(RecordKeys.ORDER);
    private final Set<String> failing = new HashSet<>();
    private final AtomicInteger probes = new AtomicInteger();
    private boolean probeFails;

    public synchronized MapSource put(String tenant, String id, String text, Map<String, String> metadata) {
        tenants.computeIfAbsent(tenant, t -> new TreeMap<>(RecordKeys.ORDER))
                .put(id, new SourceRecord(tenant, id, text, metadata));
        return this;
    }

    public MapSource put(String tenant, String id, String text) {
        return put(tenant, id, text, Map.of());
    }

    public synchronized MapSource remove(String tenant, String id) {
        TreeMap<String, SourceRecord> records = tenants.get(tenant);
        if (records != null && records.remove(id) != null && records.isEmpty()) {
            tenants.remove(tenant);
        }
        return this;
    }

    /** Makes reading {@code tenant} fail with an IOException. */
    public synchronized MapSource failOn(String tenant) {
        failing.add(tenant);
        return this;
    }

    public synchronized MapSource failProbes(boolean fail) {
        probeFails = fail;
        return this;
    }

    public synchronized List<SourceRecord> records() {
        List<SourceRecord> all = new ArrayList<>();
        tenants.values().forEach(m -> all.addAll(m.values()));
        return all;
    }

    public synchronized List<SourceRecord> recordsOf(String tenant) {
        return List.copyOf(tenants.getOrDefault(tenant, new TreeMap<>()).values());
    }

    public int probes() {
        return probes.get();
    }

    @Override
    public String describe() {
        return "map source";
    }

    @Override
    public synchronized Stream<String> tenants() {
        return List.copyOf(tenants.keySet()).stream();
    }

    @Override
    public synchronized Stream<SourceRecord> records(String tenant) throws IOException {
        if (failing.contains(tenant)) {
            throw new IOException("tenant " + tenant + " is unreadable");
        }
        return recordsOf(tenant).stream();
    }

    @Override
    public synchronized Set<String> existing(String tenant, Collection<String> ids) throws IOException {
        probes.incrementAndGet();
        if (probeFails) {
            throw new IOException("probe failed");
        }
        Set<String> found = new HashSet<>();
        TreeMap<String, SourceRecord> records = tenants.getOrDefault(tenant, new TreeMap<>());
        for (String id : ids) {
            if (records.containsKey(id)) {
                found.add(id);
            }
        }
        return found;
    }
}
