package dev.nyla.sync.artifact.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The tampering helper changes the one field it is asked to, and refuses an edit that would change nothing. */
class ManifestEditsTest {
    private static final String JSON = new String(ManifestCodec.write(ManifestCodecTest.sample()), StandardCharsets.UTF_8);

    @Test
    void onlyTheEditedFieldChanges() {
        assertEquals(JSON.replace("\"records\":1000", "\"records\":1001"), ManifestEdits.set(JSON, "/counts/records", 1001));
    }

    @Test
    void anEditThatChangesNothingFailsInsteadOfPassingSilently() {
        assertThrows(AssertionFailedError.class, () -> ManifestEdits.set(JSON, "/counts/records", 1000));
        assertThrows(AssertionFailedError.class, () -> ManifestEdits.set(JSON, "/nowhere/records", 1));
    }
}
