package dev.nyla.sync.artifact;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * One response body, handed from the HTTP client's threads to the reading thread through a small queue.
 * Demand is one list of buffers at a time (the next is requested when one is taken), so at most two
 * lists are held whatever the pace of the consumer. The reader waits with a timed poll, so a server that
 * stops sending is noticed after the stall timeout without closing a blocked read from another thread,
 * which may not wake it: the body's watchdog, so that a stalled attempt is abandoned and retried.
 */
final class WatchedBody implements HttpResponse.BodySubscriber<WatchedBody> {
    private sealed interface Signal permits Data, End, Failed, Cancelled {
    }

    private record Data(List<ByteBuffer> buffers) implements Signal {
    }

    private record End() implements Signal {
    }

    private record Failed(Throwable error) implements Signal {
    }

    private record Cancelled() implements Signal {
    }

    // Room for the one list that can be outstanding, the terminal signal and the cancellation.
    private final BlockingQueue<Signal> queue = new ArrayBlockingQueue<>(4);
    private final Duration stallTimeout;
    private final long stallNanos;
    private Flow.Subscription subscription; // guarded by this
    private boolean cancelled; // guarded by this
    private List<ByteBuffer> current = List.of();
    private int index;
    private boolean ended;
    private IOException failure;

    WatchedBody(Duration stallTimeout) {
        this.stallTimeout = stallTimeout;
        this.stallNanos = SourceRequests.nanos(stallTimeout);
    }

    @Override
    public CompletionStage<WatchedBody> getBody() {
        return CompletableFuture.completedFuture(this);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        boolean accept;
        synchronized (this) {
            accept = subscription == null && !cancelled;
            if (accept) {
                subscription = s;
            }
        }
        if (accept) {
            s.request(1);
        } else {
            s.cancel();
        }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        queue.offer(new Data(item));
    }

    @Override
    public void onError(Throwable throwable) {
        queue.offer(new Failed(throwable));
    }

    @Override
    public void onComplete() {
        queue.offer(new End());
    }

    /** Reads up to {@code len} bytes: at least one, or -1 at the end of the body. */
    int read(byte[] b, int off, int len) throws IOException {
        while (true) {
            if (failure != null) {
                throw failure;
            }
            while (index < current.size()) {
                ByteBuffer buffer = current.get(index);
                if (buffer.hasRemaining()) {
                    int n = Math.min(len, buffer.remaining());
                    buffer.get(b, off, n);
                    return n;
                }
                index++;
            }
            if (ended) {
                return -1;
            }
            Signal signal;
            try {
                signal = queue.poll(stallNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                cancel();
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for data");
            }
            switch (signal) {
                case null -> {
                    cancel();
                    failure = new HttpTimeoutException("stalled: no data for " + stallTimeout.toMillis() + " ms");
                }
                case Data d -> {
                    current = d.buffers();
                    index = 0;
                    requestNext();
                }
                case End e -> ended = true;
                case Failed f -> failure = f.error() instanceof IOException io
                        ? new IOException(RetryPolicy.reason(io), io)
                        : new IOException(RetryPolicy.reason(f.error()), f.error());
                case Cancelled c -> failure = new IOException("the response was cancelled");
            }
        }
    }

    private void requestNext() {
        Flow.Subscription s;
        synchronized (this) {
            s = cancelled ? null : subscription;
        }
        if (s != null) {
            s.request(1);
        }
    }

    /** Stops the body and releases its connection; wakes a reader waiting for data. Idempotent. */
    void cancel() {
        Flow.Subscription s;
        synchronized (this) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            s = subscription;
        }
        if (s != null) {
            s.cancel();
        }
        queue.offer(new Cancelled());
    }
}
