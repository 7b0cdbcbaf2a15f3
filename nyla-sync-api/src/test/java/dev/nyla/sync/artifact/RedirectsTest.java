package dev.nyla.sync.artifact;

import static org.junit.jupiter.api.Assertions.*;

import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The redirect rules on their own, for what a loopback test cannot serve: https, default ports, odd
 * {@code Location} values.
 */
class RedirectsTest {
    private final Redirects redirects = new Redirects(URI.create("https://cdn.example.com/kb/"));
    private final URI file = URI.create("https://cdn.example.com/kb/file.bin");

    private URI next(String location) throws SourceUnavailableException {
        return redirects.next(file, 302, Optional.of(location), 0);
    }

    @Test
    void theOriginIsSchemeHostAndPortWithTheDefaultPortSpelledOrNot() {
        assertTrue(redirects.sameOriginAsBase(URI.create("https://CDN.example.com:443/other/x")));
        assertFalse(redirects.sameOriginAsBase(URI.create("https://cdn.example.com:8443/kb/x")));
        assertFalse(redirects.sameOriginAsBase(URI.create("http://cdn.example.com/kb/x")));
        assertFalse(redirects.sameOriginAsBase(URI.create("https://files.example.com/kb/x")));
        assertTrue(new Redirects(URI.create("http://h/")).sameOriginAsBase(URI.create("http://h:80/x")));
    }

    @Test
    void relativeAndAbsoluteLocationsAreResolvedAgainstTheUrlThatAnswered() throws SourceUnavailableException {
        assertEquals(URI.create("https://cdn.example.com/kb/v2/file.bin"), next("v2/file.bin"));
        assertEquals(URI.create("https://cdn.example.com/blobs/a%20b?sig=1"), next("/blobs/a%20b?sig=1#part"));
        assertEquals(URI.create("https://s3.example.net/b/file.bin"), next("https://s3.example.net/b/file.bin"));
        assertEquals(URI.create("http://h/x"), new Redirects(URI.create("http://h/")).next(URI.create("http://h/a"),
                301, Optional.of("http://h/x"), 0));
    }

    @Test
    void aDowngradeFromHttpsToHttpIsRefused() {
        SourceUnavailableException e = assertThrows(SourceUnavailableException.class,
                () -> next("http://cdn.example.com/kb/file.bin"));
        assertTrue(e.getMessage().contains("https down to http") && e.getMessage().contains(file.toString()),
                e.getMessage());
    }

    @Test
    void locationsThatCannotBeFollowedAreRefusedSayingWhy() {
        assertTrue(assertThrows(SourceUnavailableException.class, () -> next("ftp://cdn.example.com/x"))
                .getMessage().contains("http or https"));
        assertTrue(assertThrows(SourceUnavailableException.class, () -> next("https://u:p@cdn.example.com/x"))
                .getMessage().contains("user info"));
        assertTrue(assertThrows(SourceUnavailableException.class, () -> next("https://bad host/x"))
                .getMessage().contains("not a valid URI"));
        assertTrue(assertThrows(SourceUnavailableException.class,
                () -> redirects.next(file, 307, Optional.empty(), 0)).getMessage().contains("without a Location"));
        assertTrue(assertThrows(SourceUnavailableException.class,
                () -> redirects.next(file, 307, Optional.of("x"), Redirects.MAX_REDIRECTS)).getMessage()
                .contains("redirects in a row"));
    }

    @Test
    void onlyTheRedirectStatusesAreFollowed() {
        for (int status : new int[] {301, 302, 303, 307, 308}) {
            assertTrue(Redirects.isRedirect(status), "" + status);
        }
        for (int status : new int[] {200, 300, 304, 305, 306, 309, 400}) {
            assertFalse(Redirects.isRedirect(status), "" + status);
        }
    }
}
