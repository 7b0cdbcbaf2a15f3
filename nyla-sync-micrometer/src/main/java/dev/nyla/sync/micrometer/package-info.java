/**
 * Micrometer meters for the sync client ({@link dev.nyla.sync.micrometer.NylaSyncMetrics}) and the reconciler
 * ({@link dev.nyla.sync.micrometer.ReconcilerMetrics}). Every meter name, type, unit and tag is listed in
 * {@code docs/metrics.md}.
 */
package dev.nyla.sync.micrometer;
