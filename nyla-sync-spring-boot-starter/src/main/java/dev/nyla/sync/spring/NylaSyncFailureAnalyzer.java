package dev.nyla.sync.spring;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Shows a start-up stopped by bad {@code nyla.sync.*} configuration as Spring Boot shows its own: what is wrong,
 * and the properties to set, instead of a stack of bean-creation exceptions.
 */
final class NylaSyncFailureAnalyzer extends AbstractFailureAnalyzer<NylaSyncConfigurationException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, NylaSyncConfigurationException cause) {
        StringBuilder action = new StringBuilder("Update the application's configuration:");
        cause.properties().forEach(p -> action.append(System.lineSeparator()).append("    - ").append(p));
        action.append(System.lineSeparator()).append("Or turn the sync client off with nyla.sync.enabled=false.");
        return new FailureAnalysis("The nyla-sync client could not be configured: " + cause.getMessage(),
                action.toString(), cause);
    }
}
