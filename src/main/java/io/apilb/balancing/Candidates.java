package io.apilb.balancing;

import io.apilb.backend.BackendEntry;
import io.apilb.backend.BackendSnapshot;
import java.util.ArrayList;
import java.util.List;

/** The backends a request may still go to: routable and not yet tried by this request. */
final class Candidates {
  private Candidates() {}

  static List<BackendEntry> of(BackendSnapshot snapshot, SelectionContext ctx) {
    List<BackendEntry> routable = snapshot.routable();
    if (ctx.tried().isEmpty()) {
      return routable;
    }
    List<BackendEntry> out = new ArrayList<>(routable.size());
    for (BackendEntry e : routable) {
      if (!ctx.tried().contains(e.name())) {
        out.add(e);
      }
    }
    return out;
  }
}
