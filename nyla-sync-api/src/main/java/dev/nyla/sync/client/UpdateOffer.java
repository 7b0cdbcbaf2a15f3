package dev.nyla.sync.client;

import dev.nyla.sync.artifact.Manifest;
import java.util.Objects;
import java.util.Optional;

/**
 * A verified update the client may install: handed to the update condition, the approval callback and the
 * listener, which decide with it whether to take the version now.
 */
public final class UpdateOffer {
    private final Manifest offered;
    private final Manifest installed;
    private final InstallRoute route;
    private final long installedVersion;
    private final long downloadBytes;

    UpdateOffer(Manifest offered, Manifest installed, long installedVersion, InstallRoute route, long downloadBytes) {
        this.offered = Objects.requireNonNull(offered, "offered");
        this.installed = installed;
        this.installedVersion = installedVersion;
        this.route = Objects.requireNonNull(route, "route");
        this.downloadBytes = downloadBytes;
    }

    /** The manifest of the version offered; its signature has been verified. */
    public Manifest offered() {
        return offered;
    }

    /**
     * The manifest of the version installed now, when this client installed it from an artifact (the state
     * directory keeps it across restarts).
     */
    public Optional<Manifest> installed() {
        return Optional.ofNullable(installed);
    }

    /** The version active in the store now, 0 when none (or built locally). */
    public long installedVersion() {
        return installedVersion;
    }

    /** The route the client will try first. */
    public InstallRoute route() {
        return route;
    }

    /** Bytes the first route downloads. */
    public long downloadBytes() {
        return downloadBytes;
    }

    @Override
    public String toString() {
        return "version " + offered.version() + (offered.label().isEmpty() ? "" : " (" + offered.label() + ")")
                + " over " + installedVersion() + " by " + route + ", " + downloadBytes + " bytes";
    }
}
