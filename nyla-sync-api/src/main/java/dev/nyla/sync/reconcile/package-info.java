/**
 * Reconciliation: finding and repairing drift between a {@link dev.nyla.sync.reconcile.SourceOfTruth} and a
 * {@link dev.nyla.sync.store.VectorStore}, per tenant or for all tenants
 * ({@link dev.nyla.sync.reconcile.Reconciler}), and healing a store when a search returns an id the source
 * no longer has ({@link dev.nyla.sync.reconcile.HealingSearch}).
 */
package dev.nyla.sync.reconcile;
