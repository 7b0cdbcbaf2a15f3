package dev.nyla.sync.client;

import dev.nyla.sync.ContentHash;
import dev.nyla.sync.EmbeddingModel;
import dev.nyla.sync.InvalidVectorException;
import dev.nyla.sync.MalformedArtifactException;
import dev.nyla.sync.VectorRecord;
import dev.nyla.sync.artifact.Delta;

/**
 * What every record of a payload file must pass at install, before any store sees it, beyond what the record
 * file reader checks (format, dimension, finite values, key order, limits): its content hash is the hash of its
 * text and metadata under the manifest's model fingerprint, and its vector has a direction when the model
 * compares by cosine. A store's {@code verifyActiveGeneration} recomputes the same content hash (the file and
 * JDBC stores do), so a version that passed here never fails it; checking here, once for every route that
 * installs records, holds every store to the same rule. After the last entry of a delta, its counts must be
 * the ones the manifest declares.
 *
 * <p>Every refusal names the file and, for a record, its key, with the expected and the actual value; the
 * version is then not installed and the installed one keeps serving.
 */
final class RecordChecks {
    private final String file;
    private final EmbeddingModel model;

    /**
     * @param file  the payload file being installed, for messages
     * @param model the model of the manifest that names the file
     */
    RecordChecks(String file, EmbeddingModel model) {
        this.file = file;
        this.model = model;
    }

    /**
     * Refuses {@code r} when its content hash is not the one of its text, metadata and the model's fingerprint,
     * or when its vector is the zero vector under cosine.
     *
     * @throws MalformedArtifactException naming the record, the recomputed (expected) and the published hash
     * @throws InvalidVectorException     naming the record whose vector has no direction under cosine
     */
    void check(VectorRecord r) throws MalformedArtifactException, InvalidVectorException {
        String subject = file + ": record " + r.tenant() + "/" + r.id();
        String recomputed = ContentHash.of(r.text(), r.metadata(), model.fingerprint());
        if (!recomputed.equals(r.contentHash())) {
            // Signed and intact, so the publisher wrote it: only a corrected version can be installed.
            throw new MalformedArtifactException(subject, "content hash", recomputed + " (the SHA-256 of its text, "
                    + "metadata and model fingerprint " + model.fingerprint() + "; this version is not installed, the "
                    + "installed one keeps serving, and the publisher must publish a corrected version)",
                    r.contentHash() + " (as published)");
        }
        model.similarity().requireDirection(r.vector(), subject + " (this version is not installed, the installed one "
                + "keeps serving)");
    }

    /**
     * After the last entry of a delta: refuses it when its upserts and deletes are not the counts
     * {@code declared} by the manifest.
     *
     * @throws MalformedArtifactException naming the file, the declared (expected) and the read counts
     */
    void checkCounts(Delta declared, long upserts, long deletes) throws MalformedArtifactException {
        if (declared.upserts() != upserts || declared.deletes() != deletes) {
            throw new MalformedArtifactException(file, "entries (upserts, deletes)", "(" + declared.upserts() + ", "
                    + declared.deletes() + ") as the manifest declares", "(" + upserts + ", " + deletes
                    + ") in the file");
        }
    }
}
