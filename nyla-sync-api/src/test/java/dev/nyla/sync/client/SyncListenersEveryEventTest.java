package dev.nyla.sync.client;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link SyncListener#all} against the interface it implements, every method by reflection, so that an event
 * added to the interface later is not lost in the forwarding.
 */
class SyncListenersEveryEventTest {

    /** A listener that records the name of every method called on it, and throws first when asked to. */
    private static SyncListener recording(List<String> calls, boolean throwing) {
        return (SyncListener) Proxy.newProxyInstance(SyncListener.class.getClassLoader(), new Class<?>[] {SyncListener.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("hashCode") ? System.identityHashCode(proxy)
                                : method.getName().equals("equals") ? proxy == args[0] : "recording listener";
                    }
                    calls.add(method.getName());
                    if (throwing) {
                        throw new IllegalStateException("a listener bug");
                    }
                    return null;
                });
    }

    @Test
    void everyEventReachesEveryListenerEvenAfterOneThrows() throws Exception {
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        SyncListener forwarding = SyncListener.all(recording(first, true), recording(second, false));
        List<String> events = new ArrayList<>();
        for (Method m : SyncListener.class.getDeclaredMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.isSynthetic()) {
                continue;
            }
            events.add(m.getName());
            Object[] args = Arrays.stream(m.getParameterTypes()).map(SyncListenersEveryEventTest::placeholder).toArray();
            m.invoke(forwarding, args);
        }
        assertTrue(events.size() >= 15, "the listener's events: " + events);
        assertEquals(events, first);
        assertEquals(events, second, "the second listener hears each event although the first threw");
    }

    private static Object placeholder(Class<?> type) {
        if (type == long.class) {
            return 0L;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == boolean.class) {
            return false;
        }
        return null;
    }
}
