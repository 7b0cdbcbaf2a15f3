package dev.nyla.sync.client;

/**
 * Where the sync client is in one run. A run goes
 * {@code CHECKING → UP_TO_DATE} or {@code CHECKING → UPDATE_AVAILABLE → (AWAITING_APPROVAL) → DOWNLOADING →
 * VERIFYING → INSTALLING → SWAPPING → COMMITTED}; a failure at any step goes to {@code FAILED} (through
 * {@code ROLLING_BACK} when the swap had already happened), and the previous version keeps serving.
 * Between runs the client is {@code IDLE}. The transitions are defined in one place, {@code SyncStateMachine}.
 */
public enum SyncState {
    /** No run in progress. */
    IDLE,
    /** Fetching and verifying the manifest. */
    CHECKING,
    /** The source offers nothing newer than what is installed (or nothing this client should take now). */
    UP_TO_DATE,
    /** A verified, newer version is offered. */
    UPDATE_AVAILABLE,
    /** Manual mode: waiting for the approval callback. */
    AWAITING_APPROVAL,
    /** Fetching payload files into the local download area. */
    DOWNLOADING,
    /** Checking what was downloaded against the signed manifest. */
    VERIFYING,
    /** Building the new generation in the store; readers still see the old one. */
    INSTALLING,
    /** Activating the new generation. */
    SWAPPING,
    /** The new version is active and recorded as trusted. */
    COMMITTED,
    /** Undoing a swap that could not be completed. */
    ROLLING_BACK,
    /** The run failed; the previous version is still serving. */
    FAILED
}
