package dev.nyla.sync.embed;

import dev.nyla.sync.NylaSyncException;

/** An embedder failed: a missing or corrupt model, a model error, or output that breaks the model's contract. */
public class EmbeddingException extends NylaSyncException {
    private static final long serialVersionUID = 1L;

    public EmbeddingException(String message) {
        super(message);
    }

    public EmbeddingException(String message, Throwable cause) {
        super(message, cause);
    }

    public EmbeddingException(String subject, String what, Object expected, Object actual) {
        super(subject, what, expected, actual);
    }
}
