package dev.nyla.sync.client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What a test opened, closed after it in reverse order: clients before the stores they use. */
final class Closer {
    private final List<AutoCloseable> opened = new ArrayList<>();

    /** Closes {@code c} at {@link #closeAll()}; returns it. */
    <T extends AutoCloseable> T later(T c) {
        opened.add(c);
        return c;
    }

    /** Closes everything handed to {@link #later}, the last first. */
    void closeAll() throws Exception {
        List<AutoCloseable> all = new ArrayList<>(opened);
        opened.clear();
        Collections.reverse(all);
        for (AutoCloseable c : all) {
            c.close();
        }
    }
}
