package dev.nyla.sync.internal;

import dev.nyla.sync.EmbeddingModel;
import java.net.URI;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The single-value options one builder was given, so that a second call for the same option is refused
 * rather than silently replacing the first, as Caffeine's builder does: a configuration assembled in
 * several places (a default here, an override there) must say which value wins by setting it once. Options
 * that take several values ({@code header}, {@code publicKey}, ...) do not use this.
 *
 * <p>Internal: for the builders of nyla-sync's own modules only. Not thread-safe, as builders are not.
 */
public final class BuilderOptions {
    private final String builder;
    private final Map<String, String> given = new HashMap<>();

    /** @param builder the builder's name as messages show it, e.g. {@code NylaSync.Builder} */
    public BuilderOptions(String builder) {
        this.builder = Objects.requireNonNull(builder, "builder");
    }

    /**
     * {@code value}, noted as {@code option}'s.
     *
     * @throws NullPointerException  naming the option when {@code value} is null
     * @throws IllegalStateException naming the option and its first value when it was set before
     */
    public <T> T once(String option, T value) {
        Objects.requireNonNull(value, option);
        return once(option, value, describe(value));
    }

    /**
     * As {@link #once(String, Object)}, showing the value as {@code shown} in a later refusal (for a value
     * that may hold a secret, such as a JDBC URL with a password).
     */
    public <T> T once(String option, T value, String shown) {
        return set(option, value, shown, "set " + option + " once, to the value you want");
    }

    /**
     * As {@link #once(String, Object)} for a listener, whose refusal says how to have several: one listener
     * that forwards each event to the others.
     */
    public <T> T listener(String option, T value) {
        Objects.requireNonNull(value, option);
        return set(option, value, describe(value), "a builder takes one listener; to have several, pass one "
                + "that forwards each event to them");
    }

    private <T> T set(String option, T value, String shown, String advice) {
        Objects.requireNonNull(value, option);
        String earlier = given.putIfAbsent(option, shown);
        if (earlier != null) {
            throw new IllegalStateException(builder + ": " + option + " was already set to " + earlier
                    + "; a second value (" + shown + ") would silently replace it: " + advice);
        }
        return value;
    }

    /**
     * How a refusal shows a value: plain values as they are, text in quotes, keys by algorithm only, other
     * objects by their class (their own text may hold credentials, a data source's for one).
     */
    static String describe(Object value) {
        return switch (value) {
            case CharSequence s -> "'" + s + "'";
            case Number n -> n.toString();
            case Boolean b -> b.toString();
            case Enum<?> e -> e.name();
            case Duration d -> d.toString();
            case Path p -> p.toString();
            case URI u -> u.toString();
            case EmbeddingModel m -> "model " + m.id();
            case Key k -> "a " + k.getAlgorithm() + " key";
            case KeyPair k -> "a key pair";
            default -> "an instance of " + value.getClass().getName();
        };
    }
}
