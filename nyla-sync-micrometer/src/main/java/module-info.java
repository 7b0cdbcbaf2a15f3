/**
 * Micrometer meters for nyla-sync: {@link dev.nyla.sync.micrometer.NylaSyncMetrics} for a sync client and
 * {@link dev.nyla.sync.micrometer.ReconcilerMetrics} for a reconciler, each a {@code MeterBinder} and the
 * listener of what it measures. Needs Micrometer's core only, no Spring.
 *
 * <p>Micrometer's jars have no module descriptors; {@code micrometer.core} is the Automatic-Module-Name of its
 * manifest. It is required transitively: the binders' public methods take its {@code MeterRegistry} and
 * {@code Tag}.
 */
module dev.nyla.sync.micrometer {
    requires transitive dev.nyla.sync;
    requires transitive micrometer.core;

    exports dev.nyla.sync.micrometer;
}
