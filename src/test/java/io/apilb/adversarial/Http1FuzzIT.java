package io.apilb.adversarial;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.adversarial.Http1Streams.Case;
import io.apilb.adversarial.Http1Streams.Framing;
import io.apilb.testing.HostileFixture;
import io.apilb.testing.RawHttp1;
import io.apilb.testing.RawHttp1.Result;
import io.apilb.testing.RecordingBackend.Recorded;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.LongStream;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile HTTP/1.1 byte streams against apilb in front of a {@link io.apilb.testing.RecordingBackend}.
 * Invariants: every connection answers or ends within a bound; every answer apilb makes itself
 * is a Status JSON of its code; a backend completes only requests the client sent whole, with
 * exactly their body; no client X-Remote-* reaches a backend; no buffer leaks (paranoid); apilb
 * still serves afterwards. Each try is one seed ({@link Fuzz}): {@code -Dfuzz.seed=<n>} reruns it.
 */
class Http1FuzzIT {
  static final Duration BOUND = Duration.ofSeconds(5);
  static final Set<Integer> REFUSALS = Set.of(400, 401, 408, 413, 414, 417, 431, 501, 502, 503, 504, 505);
  static HostileFixture f;

  @BeforeAll
  static void start() throws Exception {
    HostileFixture.startLeakWatch();
    f = HostileFixture.start(1, "");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      assertNoIdentityHeadersAnywhere();
      assertStillServing();
    } finally {
      f.close();
    }
    HostileFixture.assertNoLeaks(Http1FuzzIT.class.getSimpleName());
  }

  static final int CUT_BY_CLIENT_TRIES = 120;
  static final int BROKEN_IN_BAND_TRIES = 60;

  static Case wellFramedOrCutByClose(Random r) {
    return Http1Streams.cases(List.of(Framing.NONE, Framing.LENGTH, Framing.CHUNKED, Framing.LENGTH_AND_CHUNKED,
        Framing.LENGTH_CUT, Framing.CHUNKED_CUT), r);
  }

  static Case brokenInBand(Random r) {
    return Http1Streams.cases(List.of(Framing.CHUNKED_BAD_SIZE, Framing.CHUNKED_OVERRUN,
        Framing.CHUNKED_XREMOTE_TRAILERS), r);
  }

  static LongStream cutByClientSeeds() {
    return Fuzz.seeds("Http1FuzzIT.hostileHeadsAndBodiesCutByTheClient", CUT_BY_CLIENT_TRIES);
  }

  static LongStream brokenInBandSeeds() {
    return Fuzz.seeds("Http1FuzzIT.brokenChunkedFramingAndHostileTrailers", BROKEN_IN_BAND_TRIES);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("cutByClientSeeds")
  void hostileHeadsAndBodiesCutByTheClient(long seed) throws Exception {
    Case c = wellFramedOrCutByClose(new Random(seed));
    Fuzz.run(seed, c, () -> check(c));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("brokenInBandSeeds")
  void brokenChunkedFramingAndHostileTrailers(long seed) throws Exception {
    Case c = brokenInBand(new Random(seed));
    Fuzz.run(seed, c, () -> check(c));
  }

  static void check(Case c) throws Exception {
    String id = Http1Streams.freshId();
    Result r;
    try (SSLSocket s = f.openTls("http/1.1")) {
      RawHttp1.write(s, c.pieces().stream().map(p -> Http1Streams.withId(p, id)).toList(), c.pauseMillis());
      r = c.closeAfterWrite() ? null : RawHttp1.read(s, 1, BOUND);
    }
    if (r != null) {
      boolean answered = !r.responses().isEmpty() && r.first().whole();
      if (c.wholeBody() != null || c.framing().broken) {
        assertThat(answered || r.end() != RawHttp1.End.OPEN)
            .as("no answer and no close within %s: %s", BOUND, r).isTrue();
      }
      for (RawHttp1.Response resp : r.responses()) {
        if (resp.status() >= 300 && resp.whole()) {
          assertThat(REFUSALS).as("status of %s", r).contains(resp.status());
          assertThat(resp.isStatusJson()).as("a refusal must be a Status of its code: %s", r).isTrue();
        } else if (resp.whole()) {
          assertThat(resp.body()).as("a 2xx comes from the backend: %s", r).contains("\"bodyBytes\"");
        }
      }
    } else {
      Thread.sleep(60); // a truncated request would have been forwarded by now
    }
    for (Recorded rec : f.requestsWith("case", id)) {
      assertThat(rec.allNames()).as("identity headers at the backend").noneMatch(Http1FuzzIT::isIdentity);
      if (rec.complete) {
        assertThat(c.wholeBody()).as("a backend completed a request the client did not send whole: %s (case %s)", rec, id)
            .isNotNull();
        assertThat(Arrays.equals(rec.body(), c.wholeBody()))
            .as("backend body %s vs client body %s", new String(rec.body()), new String(c.wholeBody())).isTrue();
      }
    }
  }

  static boolean isIdentity(String name) {
    return name.trim().toLowerCase().startsWith("x-remote-");
  }

  static void assertNoIdentityHeadersAnywhere() {
    for (Recorded rec : f.allRequests()) {
      assertThat(rec.allNames()).as("identity headers at the backend: %s", rec).noneMatch(Http1FuzzIT::isIdentity);
    }
  }

  static void assertStillServing() throws Exception {
    try (SSLSocket s = f.openTls("http/1.1")) {
      Result r = RawHttp1.exchange(s, "GET /api/v1/namespaces/default/configmaps?case=final HTTP/1.1\r\nHost: x\r\n\r\n",
          1, BOUND);
      assertThat(r.first()).as("%s", r).isNotNull();
      assertThat(r.first().status()).isEqualTo(200);
    }
  }
}
