package dev.nyla.sync.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nyla.sync.artifact.SigningKeys;
import java.security.KeyPair;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BuilderOptionsTest {

    @Test
    void aSecondValueIsRefusedNamingTheBuilderTheOptionAndBothValues() {
        BuilderOptions options = new BuilderOptions("Thing.Builder");
        assertEquals(Duration.ofSeconds(1), options.once("timeout", Duration.ofSeconds(1)));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> options.once("timeout", Duration.ofSeconds(2)));
        assertEquals("Thing.Builder: timeout was already set to PT1S; a second value (PT2S) would silently replace "
                + "it: set timeout once, to the value you want", e.getMessage());
    }

    @Test
    void optionsAreIndependent() {
        BuilderOptions options = new BuilderOptions("Thing.Builder");
        String a = options.once("a", "x");
        String b = options.once("b", "x");
        assertSame(a, b);
        assertThrows(IllegalStateException.class, () -> options.once("a", "y"));
    }

    @Test
    void aValueThatMayHoldASecretIsShownAsTheCallerSays() {
        BuilderOptions options = new BuilderOptions("Thing.Builder");
        options.once("url", "jdbc:postgresql://db/x?password=hunter2", "'jdbc:postgresql://db/x?password=***'");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> options.once("url", "jdbc:postgresql://db/y?password=swordfish", "'jdbc:postgresql://db/y?password=***'"));
        assertFalse(e.getMessage().contains("hunter2") || e.getMessage().contains("swordfish"), e.getMessage());
        assertTrue(e.getMessage().contains("db/x?password=***"), e.getMessage());
    }

    @Test
    void keysAndObjectsAreShownWithoutTheirContents() {
        KeyPair keys = SigningKeys.generate();
        assertEquals("a key pair", BuilderOptions.describe(keys));
        assertEquals("a " + keys.getPrivate().getAlgorithm() + " key", BuilderOptions.describe(keys.getPrivate()));
        Object secretive = new Object() {
            @Override
            public String toString() {
                return "password=hunter2";
            }
        };
        assertFalse(BuilderOptions.describe(secretive).contains("hunter2"), BuilderOptions.describe(secretive));
        assertEquals("'text'", BuilderOptions.describe("text"));
        assertEquals("42", BuilderOptions.describe(42));
    }

    @Test
    void aNullValueIsRefusedNamingTheOptionAndNotNoted() {
        BuilderOptions options = new BuilderOptions("Thing.Builder");
        NullPointerException e = assertThrows(NullPointerException.class, () -> options.once("listener", null));
        assertEquals("listener", e.getMessage());
        assertEquals("ok", options.once("listener", "ok"), "a refused null does not count as the option's value");
    }
}
