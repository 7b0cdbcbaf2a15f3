package dev.nyla.sync.artifact;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;

/**
 * The redirects {@link HttpArtifactSource} follows, decided here rather than by the JDK's {@code HttpClient}
 * (whose handling of headers on a redirect differs between releases): only for the redirect statuses, at
 * most {@link #MAX_REDIRECTS} in a row, to an absolute or relative {@code Location} resolved against the
 * URL that answered, over http or https, never from https down to http, and never to a URL with user info.
 *
 * <p>The headers configured on the source (credentials, typically) belong to the base URL's origin
 * (scheme, host and port): they go along only while every hop so far stayed within that origin. A hop to
 * another origin drops them for the rest of the chain, even if it leads back, so that another host can
 * never steer them anywhere.
 */
final class Redirects {
    /** The longest chain of redirects followed for one request (the JDK's own default). */
    static final int MAX_REDIRECTS = 5;

    private final URI base;

    Redirects(URI base) {
        this.base = base;
    }

    /** Whether {@code status} is a redirect this source follows for a GET. */
    static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /** Whether {@code uri} has the base URL's origin, so the configured headers may be sent to it. */
    boolean sameOriginAsBase(URI uri) {
        return scheme(uri).equals(scheme(base)) && host(uri).equals(host(base)) && port(uri) == port(base);
    }

    /**
     * Where to go after {@code from} answered {@code status} with {@code location}, {@code followed}
     * redirects into the chain.
     *
     * @throws SourceUnavailableException when the redirect may not be followed, saying why
     */
    URI next(URI from, int status, Optional<String> location, int followed) throws SourceUnavailableException {
        String what = from + ": HTTP " + status + " redirect";
        if (followed >= MAX_REDIRECTS) {
            throw new SourceUnavailableException(what + " after " + followed + " redirects in a row; expected at most "
                    + MAX_REDIRECTS + " (a redirect loop?): check the source's address");
        }
        if (location.isEmpty() || location.get().isBlank()) {
            throw new SourceUnavailableException(what + " without a Location header; the host is misconfigured");
        }
        URI target;
        try {
            target = from.resolve(new URI(location.get().strip()));
            if (target.getRawFragment() != null) {
                // A fragment is never sent; drop it as it is, without re-encoding the rest.
                String s = target.toString();
                target = new URI(s.substring(0, s.indexOf('#')));
            }
        } catch (URISyntaxException e) {
            throw new SourceUnavailableException(what + " to Location '" + location.get()
                    + "', which is not a valid URI; the host is misconfigured", e);
        }
        String scheme = scheme(target);
        if (!scheme.equals("http") && !scheme.equals("https") || target.getHost() == null) {
            throw new SourceUnavailableException(what + " to '" + target + "'; expected an http or https URL with a"
                    + " host");
        }
        if (scheme(from).equals("https") && scheme.equals("http")) {
            throw new SourceUnavailableException(what + " to '" + target + "' refused: it goes from https down to"
                    + " http, which would expose the request and the file; serve the file over https");
        }
        if (target.getRawUserInfo() != null) {
            throw new SourceUnavailableException(what + " to a URL with user info refused; expected credentials"
                    + " only in the headers configured on the source");
        }
        return target;
    }

    private static String scheme(URI uri) {
        return uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    }

    private static String host(URI uri) {
        return uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    }

    private static int port(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return scheme(uri).equals("https") ? 443 : 80;
    }
}
