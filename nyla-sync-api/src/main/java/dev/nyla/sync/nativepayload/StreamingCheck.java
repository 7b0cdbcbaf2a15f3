package dev.nyla.sync.nativepayload;

/**
 * A store's own check of one payload file, fed the file's bytes by the sync client in the loop that hashes
 * them with SHA-256 on their way to disk, so that the store need not read a downloaded file a second time
 * (the Lucene store computes each file's CRC32 here and compares it with the file's footer at commit).
 * From {@link NativeInstall#streamingCheck}, one per pass over the file's bytes.
 */
public interface StreamingCheck {

    /** A check that computes nothing: the store reads the file itself at commit. */
    StreamingCheck NONE = new StreamingCheck() {
        @Override
        public void update(byte[] bytes, int offset, int length) {
            // nothing to compute
        }

        @Override
        public void complete() {
            // nothing to record
        }
    };

    /** The next bytes of the file, in order from its first byte (a resumed download's earlier bytes included). */
    void update(byte[] bytes, int offset, int length);

    /**
     * Every byte of the file was given, and they matched the manifest's size and SHA-256: the store may rely on
     * what it computed from them for the file it is then {@linkplain NativeInstall#put handed}. Not called for
     * a pass that failed; the store then checks the file as if no pass had been made.
     */
    void complete();
}
