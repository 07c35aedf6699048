package io.apilb.testing;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.pool.BackendAttempt;
import io.apilb.backend.pool.BackendConnectException;
import io.apilb.backend.pool.BackendConnector;
import io.apilb.backend.pool.ConnectionKind;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A {@link BackendConnector} handing out {@link FakeBackendAttempt}s: by default every
 * acquisition succeeds at once; {@link #failNext} and {@link #holdNext} script the next ones.
 * Records every acquisition asked for.
 */
public final class FakeBackendConnector implements BackendConnector {
  /** One acquisition the exchange asked for. */
  public record Request(String backend, ConnectionKind kind, boolean dedicated) {}

  /** An acquisition held open until the test completes or fails it. */
  public final class Pending {
    private Promise<BackendAttempt> promise;
    private BackendEntry backend;

    /** Whether the exchange asked for it yet. */
    public boolean asked() {
      return promise != null;
    }

    public String backend() {
      return backend.name();
    }

    /**
     * Succeeds with a new attempt (configured by {@link #whenCreated}); returns it. When the
     * exchange cancelled the acquisition meanwhile, the attempt is released unused, as the pools
     * do with a connection nobody claims.
     */
    public FakeBackendAttempt complete() {
      FakeBackendAttempt a = create(backend);
      if (!promise.trySuccess(a)) {
        a.release();
      }
      return a;
    }

    /** Whether the exchange gave the acquisition up (cancelled its future). */
    public boolean cancelled() {
      return promise.isCancelled();
    }

    public void fail(String message, boolean tls) {
      promise.tryFailure(new BackendConnectException(message, tls, new IOException(message)));
    }
  }

  private sealed interface Outcome permits Succeed, Fail, Hold {}

  private record Succeed() implements Outcome {}

  private record Fail(String message, boolean tls) implements Outcome {}

  private record Hold(Pending pending) implements Outcome {}

  private final ArrayDeque<Outcome> plan = new ArrayDeque<>();
  private final List<Request> requests = new ArrayList<>();
  private final List<FakeBackendAttempt> attempts = new ArrayList<>();
  private Consumer<FakeBackendAttempt> onCreate = a -> {};

  /** The next acquisition fails as a TCP connect ({@code tls} false) or TLS handshake failure. */
  public FakeBackendConnector failNext(String message, boolean tls) {
    plan.add(new Fail(message, tls));
    return this;
  }

  /** The next acquisition stays pending until the returned handle completes it. */
  public Pending holdNext() {
    Pending p = new Pending();
    plan.add(new Hold(p));
    return p;
  }

  /** Configures every attempt as it is created (e.g. not writable). */
  public FakeBackendConnector whenCreated(Consumer<FakeBackendAttempt> configure) {
    this.onCreate = configure;
    return this;
  }

  @Override
  public Future<BackendAttempt> attempt(EventLoop loop, BackendEntry backend, ConnectionKind kind, boolean dedicated) {
    requests.add(new Request(backend.name(), kind, dedicated));
    Outcome next = plan.isEmpty() ? new Succeed() : plan.poll();
    if (next instanceof Fail f) {
      return loop.newFailedFuture(new BackendConnectException(f.message(), f.tls(), new IOException(f.message())));
    }
    if (next instanceof Hold h) {
      h.pending().promise = loop.newPromise();
      h.pending().backend = backend;
      return h.pending().promise;
    }
    return loop.newSucceededFuture(create(backend));
  }

  private FakeBackendAttempt create(BackendEntry backend) {
    FakeBackendAttempt a = new FakeBackendAttempt(backend);
    onCreate.accept(a);
    attempts.add(a);
    return a;
  }

  /** Acquisitions asked for, in order. */
  public List<Request> requests() {
    return requests;
  }

  /** Attempts handed out, in order. */
  public List<FakeBackendAttempt> attempts() {
    return attempts;
  }

  public FakeBackendAttempt attempt(int i) {
    return attempts.get(i);
  }

  /** The attempt handed out last. */
  public FakeBackendAttempt last() {
    return attempts.get(attempts.size() - 1);
  }

  /** Finishes the embedded backend connections of handed-over attempts, releasing what they hold. */
  public void releaseAll() {
    for (FakeBackendAttempt a : attempts) {
      if (a.wire() != null) {
        a.wire().finishAndReleaseAll();
      }
    }
  }
}
