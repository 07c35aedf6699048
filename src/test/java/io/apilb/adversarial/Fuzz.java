package io.apilb.adversarial;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.LongStream;

/**
 * Seeds and small generators for the randomised suites ({@link Http1FuzzIT}, {@link Http2FuzzIT}):
 * each try is a JUnit invocation named {@code seed=<n>} whose input comes from {@code new Random(n)}.
 * The seeds derive from a fixed base, so runs are deterministic; {@code -Dfuzz.random=true}
 * adds a part that varies per run (printed), and {@code -Dfuzz.seed=<n>} runs only seed n
 * (with {@code -Dit.test=Class#method} to pick the property that failed).
 */
final class Fuzz {
  private Fuzz() {}

  static final long BASE_SEED = 0x61706962L; // fixed: CI runs the same cases every time
  // not under "apilb.": apilb's configuration takes -Dapilb.* system properties as overrides, and
  // refuses unknown keys
  static final String SEED_PROPERTY = "fuzz.seed";
  static final String RANDOM_PROPERTY = "fuzz.random";
  private static final long BASE = base();

  private static long base() {
    if (!Boolean.getBoolean(RANDOM_PROPERTY)) {
      return BASE_SEED;
    }
    long varying = System.nanoTime() ^ System.currentTimeMillis();
    System.out.println(RANDOM_PROPERTY + "=true: base seed " + BASE_SEED + " + " + varying);
    return BASE_SEED + varying;
  }

  /** {@code tries} seeds for {@code property}, or only the one {@code -Dfuzz.seed} names. */
  static LongStream seeds(String property, int tries) {
    String one = System.getProperty(SEED_PROPERTY);
    if (one != null && !one.isBlank()) {
      return LongStream.of(Long.parseLong(one.trim()));
    }
    return new SplittableRandom(BASE ^ property.hashCode()).longs(tries);
  }

  /** Runs one try; a failure names its seed (to rerun it) and the input it generated. */
  static void run(long seed, Object input, Try body) throws Exception {
    try {
      body.run();
    } catch (AssertionError | Exception e) {
      throw new AssertionError("falsified with seed=" + seed + " (rerun: -D" + SEED_PROPERTY + "=" + seed + ")\ninput: "
          + input + "\n" + e.getMessage(), e);
    }
  }

  interface Try {
    void run() throws Exception;
  }

  /** Uniform in [min, max], both inclusive. */
  static int between(Random r, int min, int max) {
    return (int) (min + Math.floorMod(r.nextLong(), (long) max - min + 1));
  }

  @SafeVarargs
  static <T> T pick(Random r, T... values) {
    return values[r.nextInt(values.length)];
  }

  static <T> T pick(Random r, List<T> values) {
    return values.get(r.nextInt(values.size()));
  }

  /** Characters uniform in [lo, hi], length uniform in [minLength, maxLength]. */
  static String string(Random r, char lo, char hi, int minLength, int maxLength) {
    char[] out = new char[between(r, minLength, maxLength)];
    for (int i = 0; i < out.length; i++) {
      out[i] = (char) between(r, lo, hi);
    }
    return new String(out);
  }

  /** Letters a-z and A-Z, length uniform in [minLength, maxLength]. */
  static String alpha(Random r, int minLength, int maxLength) {
    char[] out = new char[between(r, minLength, maxLength)];
    for (int i = 0; i < out.length; i++) {
      int k = r.nextInt(52);
      out[i] = (char) (k < 26 ? 'a' + k : 'A' + k - 26);
    }
    return new String(out);
  }

  /** A list of {@code element}s, its size uniform in [minSize, maxSize]. */
  static <T> List<T> list(Random r, int minSize, int maxSize, Function<Random, T> element) {
    int n = between(r, minSize, maxSize);
    List<T> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(element.apply(r));
    }
    return out;
  }
}
