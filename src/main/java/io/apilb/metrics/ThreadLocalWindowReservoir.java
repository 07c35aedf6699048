package io.apilb.metrics;

import com.codahale.metrics.Reservoir;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.UniformSnapshot;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A latency reservoir written once per request by every event loop without sharing a cache line:
 * each thread keeps the last {@code perThread} values in its own ring, and a snapshot (a scrape)
 * merges the rings. Dropwizard's decaying reservoirs insert into one skip list shared by all
 * loops, which cost more per request than the rest of apilb's bookkeeping.
 *
 * <p>Quantiles therefore describe the most recent requests of each loop (not an exponentially
 * decaying five minutes). A scrape reads the rings without synchronisation: it may see a value a
 * loop is overwriting, which is acceptable for a summary and keeps the request path free of
 * fences.
 */
final class ThreadLocalWindowReservoir implements Reservoir {
  private final int perThread;
  private final CopyOnWriteArrayList<Ring> rings = new CopyOnWriteArrayList<>();
  private final FastThreadLocal<Ring> local = new FastThreadLocal<>() {
    @Override
    protected Ring initialValue() {
      Ring r = new Ring(perThread);
      rings.add(r);
      return r;
    }
  };

  ThreadLocalWindowReservoir(int perThread) {
    if (perThread < 1) {
      throw new IllegalArgumentException("perThread must be positive: " + perThread);
    }
    this.perThread = perThread;
  }

  private static final class Ring {
    final long[] values;
    long written;

    Ring(int size) {
      values = new long[size];
    }
  }

  @Override
  public int size() {
    long n = 0;
    for (Ring r : rings) {
      n += Math.min(r.written, r.values.length);
    }
    return (int) n;
  }

  @Override
  public void update(long value) {
    Ring r = local.get();
    r.values[(int) (r.written % r.values.length)] = value;
    r.written++;
  }

  @Override
  public Snapshot getSnapshot() {
    long[] all = new long[size()];
    int at = 0;
    for (Ring r : rings) {
      int n = (int) Math.min(r.written, r.values.length);
      n = Math.min(n, all.length - at); // a ring may have grown since size()
      System.arraycopy(r.values, 0, all, at, n);
      at += n;
    }
    long[] exact = at == all.length ? all : java.util.Arrays.copyOf(all, at);
    return new UniformSnapshot(exact);
  }
}
