package dev.nyla.sync.client;

import dev.nyla.sync.artifact.Manifest;
import java.util.Optional;

/**
 * The gates an offered update passes before it is installed, unless the update is forced: the staged
 * rollout, the app's update condition, the metered-connection hook and, in manual mode, the approver. The
 * {@link SyncStateMachine} asks the automatic gates first, then the approver in its
 * {@link SyncState#AWAITING_APPROVAL} state.
 */
final class UpdateGates {
    private final SyncConfig config;

    UpdateGates(SyncConfig config) {
        this.config = config;
    }

    /**
     * Why {@code offer} is not installed now without asking anyone, if it is not.
     *
     * @param somethingServes whether the store has an active generation
     * @param clientId        this installation's id, which places it in or out of the staged rollout
     */
    Optional<SyncResult.Outcome> automatic(UpdateOffer offer, boolean somethingServes, String clientId) {
        Manifest m = offer.offered();
        // A client with nothing installed takes any version: the staged rollout guards users from a new
        // version, and this client has no older one to stay on.
        if (somethingServes && !m.rollout().includes(clientId)) {
            return Optional.of(SyncResult.Outcome.NOT_IN_ROLLOUT);
        }
        if (!config.condition().test(offer)) {
            return Optional.of(SyncResult.Outcome.DECLINED);
        }
        if (config.metered().getAsBoolean()) {
            return Optional.of(SyncResult.Outcome.DEFERRED_METERED);
        }
        return Optional.empty();
    }

    /** Whether an update waits for the app's approval (manual mode). */
    boolean needsApproval() {
        return config.manualMode();
    }

    /** The approver's answer; may block for a user's. */
    boolean approved(UpdateOffer offer) {
        return config.approver().test(offer);
    }
}
