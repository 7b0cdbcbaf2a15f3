package dev.nyla.sync.spring;

import java.util.List;

/**
 * The {@code nyla.sync.*} configuration cannot make a sync client: the message names every problem found, and
 * {@link #properties()} the properties (or beans) to change. {@link NylaSyncFailureAnalyzer} shows both when it
 * stops the application's start-up.
 */
final class NylaSyncConfigurationException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final List<String> properties;

    NylaSyncConfigurationException(String message, List<String> properties) {
        super(message);
        this.properties = List.copyOf(properties);
    }

    NylaSyncConfigurationException(String message, String property) {
        this(message, List.of(property));
    }

    /** What to set or change, each a property (with what it takes) or a bean to define. */
    List<String> properties() {
        return properties;
    }
}
