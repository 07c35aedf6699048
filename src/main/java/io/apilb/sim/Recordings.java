package io.apilb.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * What one simulated apiserver was asked: every request, recorded when its headers arrive, and
 * every exec, attach and port-forward session it served. Tests read them through
 * {@link SimulatedApiserver#requests()} and {@link SimulatedApiserver#streamSessions()}.
 */
final class Recordings {
  /**
   * A request is recorded when its headers arrive, before its body is read; the connection
   * handler adds the body's size through the reference, so the request keeps its place in
   * arrival order.
   */
  private final ConcurrentLinkedQueue<AtomicReference<RecordedRequest>> requests = new ConcurrentLinkedQueue<>();
  private final List<StreamSession> streamSessions = new CopyOnWriteArrayList<>();

  AtomicReference<RecordedRequest> record(RecordedRequest r) {
    AtomicReference<RecordedRequest> ref = new AtomicReference<>(r);
    requests.add(ref);
    return ref;
  }

  List<RecordedRequest> requests() {
    List<RecordedRequest> out = new ArrayList<>();
    for (AtomicReference<RecordedRequest> r : requests) {
      out.add(r.get());
    }
    return out;
  }

  void clearRequests() {
    requests.clear();
  }

  int requestCount(Predicate<RecordedRequest> p) {
    int n = 0;
    for (AtomicReference<RecordedRequest> r : requests) {
      if (p.test(r.get())) {
        n++;
      }
    }
    return n;
  }

  List<StreamSession> streamSessions() {
    return List.copyOf(streamSessions);
  }

  StreamSession newStreamSession(String subresource, String transport, String protocol, List<String> command) {
    StreamSession s = new StreamSession(subresource, transport, protocol, command);
    streamSessions.add(s);
    return s;
  }
}
