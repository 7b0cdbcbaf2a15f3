package dev.nyla.sync.artifact;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class RolloutTest {
    @Test
    void bucketsAreStablePerClientAndSpreadEvenly() {
        Rollout r = new Rollout(30, "salt-1");
        int[] histogram = new int[100];
        int included = 0;
        for (int i = 0; i < 20_000; i++) {
            String client = "client-" + i;
            int bucket = r.bucket(client);
            assertEquals(bucket, r.bucket(client), "stable");
            histogram[bucket]++;
            if (r.includes(client)) {
                included++;
            }
        }
        assertEquals(0.30, included / 20_000.0, 0.02);
        for (int b = 0; b < 100; b++) {
            assertTrue(histogram[b] > 120 && histogram[b] < 280, "bucket " + b + " has " + histogram[b]);
        }
    }

    @Test
    void zeroAndHundredPercentAreNoneAndAll() {
        for (int i = 0; i < 1000; i++) {
            assertFalse(new Rollout(0, "s").includes("c" + i));
            assertTrue(new Rollout(100, "s").includes("c" + i));
        }
    }

    @Test
    void aNewSaltPicksOtherEarlyClients() {
        int same = 0;
        for (int i = 0; i < 1000; i++) {
            if (new Rollout(10, "v1").includes("c" + i) == new Rollout(10, "v2").includes("c" + i)) {
                same++;
            }
        }
        assertTrue(same < 900, "two salts agree on " + same + " of 1000 clients");
    }

    @Test
    void theBucketFollowsTheDocumentedDefinition() throws Exception {
        // Computed independently (BigInteger instead of the implementation's unsigned long) from the definition.
        byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest("s:c".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        java.math.BigInteger first8 = new java.math.BigInteger(1, java.util.Arrays.copyOf(d, 8));
        assertEquals(first8.mod(java.math.BigInteger.valueOf(100)).intValue(), new Rollout(50, "s").bucket("c"));
    }
}
