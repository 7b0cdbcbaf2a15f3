/**
 * JMH benchmarks for install, delta, search, reconcile and embed, with baselines run in the same process.
 * Not yet implemented: this module is a placeholder in the build.
 */
package dev.nyla.sync.benchmarks;
