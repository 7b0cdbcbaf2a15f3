/**
 * The {@code nyla-sync} command line and the demo. It ships as one shaded jar run from the class path; the
 * descriptor states, and the build checks, that it uses the library only through what the modules export
 * (and the api's internal and demo packages, exported to it by name).
 */
module dev.nyla.sync.cli {
    requires dev.nyla.sync;
    requires dev.nyla.sync.lucene;
    requires dev.nyla.sync.jdbc;
    requires dev.nyla.sync.djl;
    requires info.picocli;
    requires jdk.httpserver;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;

    // picocli reads and sets the commands' annotated fields reflectively.
    opens dev.nyla.sync.cli to info.picocli;
}
