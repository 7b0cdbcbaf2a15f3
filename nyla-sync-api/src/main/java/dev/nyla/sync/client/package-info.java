/**
 * The sync client: checks a signed manifest, downloads what changed, verifies every byte, installs a new
 * generation into the local vector store, swaps readers over atomically and rolls back on any failure.
 * The front door is {@link dev.nyla.sync.client.NylaSync#builder()}.
 */
package dev.nyla.sync.client;
