package io.apilb.cli;

import io.apilb.admin.StatusReport.Transition;
import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSnapshot;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The last backend state changes (joins and removals included) for the status page. Fed by
 * every published snapshot on the control thread; read by the status page on the same thread.
 */
final class Transitions {
  private static final int KEEP = 20;
  private final ArrayDeque<Transition> last = new ArrayDeque<>();
  private final Map<String, String> states = new HashMap<>();

  void onSnapshot(BackendSnapshot snap) {
    Map<String, String> seen = new HashMap<>();
    for (BackendEntry e : snap.entries()) {
      String now = e.state().summary();
      seen.put(e.name(), now);
      String before = states.get(e.name());
      if (before == null) {
        add(new Transition(e.state().since(), e.name(), "(new)", now, "joined: " + e.backend().address()));
      } else if (!before.equals(now)) {
        add(new Transition(e.state().since(), e.name(), before, now, e.state().reason()));
      }
    }
    for (String gone : states.keySet()) {
      if (!seen.containsKey(gone)) {
        add(new Transition(java.time.Instant.now(), gone, states.get(gone), "(removed)", "no longer a member"));
      }
    }
    states.clear();
    states.putAll(seen);
  }

  private void add(Transition t) {
    last.addFirst(t);
    while (last.size() > KEEP) {
      last.removeLast();
    }
  }

  /** Newest first. */
  List<Transition> recent() {
    return new ArrayList<>(last);
  }
}
