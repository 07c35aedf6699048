package io.apilb.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.adversarial.Http2Sequences.Frame;
import io.apilb.adversarial.Http2Sequences.Script;
import io.apilb.adversarial.Http2Sequences.Sequence;
import io.apilb.testing.HostileFixture;
import io.apilb.testing.RawHttp2;
import io.apilb.testing.RawHttp2.StreamResult;
import io.apilb.testing.RecordingBackend.Recorded;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile HTTP/2 frame sequences against apilb in front of a {@link io.apilb.testing.RecordingBackend}.
 * Invariants: every stream the client ended is answered or reset (or the connection closes)
 * within a bound; a non-2xx answer is a Status JSON of its code; a backend completes only
 * requests whose stream the client ended, with exactly their body; no x-remote-* reaches a
 * backend; no buffer leaks; apilb still serves afterwards. Each try is one seed ({@link Fuzz}):
 * {@code -Dfuzz.seed=<n>} reruns it.
 */
class Http2FuzzIT {
  static final Duration BOUND = Duration.ofSeconds(5);
  static HostileFixture f;

  @BeforeAll
  static void start() throws Exception {
    HostileFixture.startLeakWatch();
    f = HostileFixture.start(1, "");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      for (Recorded rec : f.allRequests()) {
        assertThat(rec.allNames()).as("identity headers at the backend: %s", rec).noneMatch(Http1FuzzIT::isIdentity);
      }
      Http1FuzzIT.f = f;
      Http1FuzzIT.assertStillServing();
    } finally {
      f.close();
    }
    HostileFixture.assertNoLeaks(Http2FuzzIT.class.getSimpleName());
  }

  static final int SEQUENCES_TRIES = 100;
  static final int OVERSIZED_TRIES = 40;

  static Sequence sequences(Random r) {
    return Http2Sequences.sequences(20_000, true, r);
  }

  static Sequence oversizedHeaderLists(Random r) {
    return Http2Sequences.sequences(40_000, false, r);
  }

  static LongStream sequenceSeeds() {
    return Fuzz.seeds("Http2FuzzIT.hostileFrameSequences", SEQUENCES_TRIES);
  }

  static LongStream oversizedSeeds() {
    return Fuzz.seeds("Http2FuzzIT.oversizedHeaderListsAreRefusedWithAStatus", OVERSIZED_TRIES);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("sequenceSeeds")
  void hostileFrameSequences(long seed) throws Exception {
    Sequence seq = sequences(new Random(seed));
    Fuzz.run(seed, seq, () -> check(seq));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("oversizedSeeds")
  void oversizedHeaderListsAreRefusedWithAStatus(long seed) throws Exception {
    Sequence seq = oversizedHeaderLists(new Random(seed));
    Fuzz.run(seed, seq, () -> check(seq));
  }

  static void check(Sequence seq) throws Exception {
    String id = Http1Streams.freshId();
    try (RawHttp2 c = new RawHttp2(f.openTls("h2"))) {
      for (Frame fr : seq.frames()) {
        c.frame(fr.type(), fr.flags(), fr.stream(), Http1Streams.withId(fr.payload(), id));
      }
      for (Script s : seq.scripts().values()) { // nothing left half-sent: reset what the client did not end
        if (!s.endedByClient() && !s.resetByClient()) {
          c.rst(s.stream(), 8);
        }
      }
      List<Integer> awaited = seq.scripts().values().stream().filter(Script::endedByClient).map(Script::stream).toList();
      boolean allEnded = c.awaitStreams(awaited, BOUND);
      if (!allEnded && c.goAwayCode != null) {
        c.awaitClose(BOUND);
      }
      assertThat(allEnded || c.closed).as("streams %s neither answered nor reset, connection open: %s",
          awaited, c.streams).isTrue();
      c.streams.forEach((sid, s) -> {
        if (s.rstCode == null && s.endStream && s.headers != null) {
          int status = Integer.parseInt(s.status());
          if (status >= 300) {
            assertThat(s.body()).as("stream %d: a refusal must be a Status of its code", sid)
                .contains("\"kind\":\"Status\"", "\"code\":" + status);
          } else {
            assertThat(s.body()).as("stream %d: a 2xx comes from the backend", sid).contains("\"bodyBytes\"");
          }
        }
      });
    }
    Thread.sleep(30);
    for (Script s : seq.scripts().values()) {
      for (Recorded rec : f.requestsWith("case", id + "-" + s.stream())) {
        assertThat(rec.allNames()).as("identity headers at the backend").noneMatch(Http1FuzzIT::isIdentity);
        if (rec.complete) {
          assertThat(s.wholeBody()).as("backend completed stream %d the client did not send whole: %s",
              s.stream(), rec).isNotNull();
          assertThat(Arrays.equals(rec.body(), s.wholeBody())).as("backend body %s vs client body %s",
              new String(rec.body()), new String(s.wholeBody())).isTrue();
        }
      }
    }
  }
}
