package dev.nyla.sync.lucene;

import java.io.IOException;
import java.nio.file.Path;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.NIOFSDirectory;
import org.apache.lucene.util.Version;

/**
 * What {@code generation.json} records of a generation's index commit: the Lucene version that wrote it and
 * the codec of its segments.
 */
record CommitFacts(String luceneVersion, String codec) {
    /** The facts of {@code commit}; an empty index has the codec {@code writeOptions} would write. */
    static CommitFacts of(SegmentInfos commit, LuceneOptions writeOptions) {
        Version v = commit.getCommitLuceneVersion();
        return new CommitFacts(v == null ? Version.LATEST.toString() : v.toString(),
                commit.size() == 0 ? IndexBuilder.codec(writeOptions, null).getName()
                        : commit.info(0).info.getCodec().getName());
    }

    /** Reads the latest commit in {@code index}, for a writer that did not read it already. */
    static CommitFacts read(Path index, LuceneOptions writeOptions) throws IOException {
        // Positional reads: the segments file is a few hundred bytes, read once.
        try (Directory dir = new NIOFSDirectory(index)) {
            return of(SegmentInfos.readLatestCommit(dir), writeOptions);
        }
    }
}
