/**
 * Helpers the api's packages and the project's own adapters share, not part of the API: durable file
 * writes, file-name confinement, back-off, verifying streams and the binary record-file format. The module
 * exports this package only to the adapter modules and the command line ({@code exports … to …}), the way
 * Lucene exports its internal packages; on the class path it is reachable, but may change without notice.
 *
 * <p>It depends on {@code dev.nyla.sync} and the JDK only, so that every other package may use it without a
 * cycle.
 */
package dev.nyla.sync.internal;
