package io.apilb.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Registered for every test class (junit-platform.properties turns on auto-detection): installs a
 * leak detector that records Netty's leak reports, and after each class forces a GC and fails if
 * any ByteBuf leaked. Tests run with {@code -Dio.netty.leakDetection.level=paranoid}.
 */
public final class LeakDetectionExtension implements BeforeAllCallback, AfterAllCallback {
  private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
  private static volatile boolean installed;

  @Override
  public void beforeAll(ExtensionContext context) {
    install();
    LEAKS.clear();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    for (int i = 0; i < 3 && LEAKS.isEmpty(); i++) {
      System.gc();
      System.runFinalization();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // Leak reports are drained when a tracked object is created: allocate to trigger them.
      for (int j = 0; j < 64; j++) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(8);
        b.release();
      }
    }
    if (!LEAKS.isEmpty()) {
      String report = String.join("\n\n", LEAKS);
      LEAKS.clear();
      throw new AssertionError("Netty ByteBuf leak detected in " + context.getDisplayName() + ":\n" + report);
    }
  }

  /** Leak reports so far (for tests of the detector itself). */
  public static List<String> leaks() {
    return LEAKS;
  }

  private static synchronized void install() {
    if (installed) {
      return;
    }
    installed = true;
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
      @Override
      public <T> ResourceLeakDetector<T> newResourceLeakDetector(
          Class<T> resource, int samplingInterval, long maxActive) {
        return new RecordingDetector<>(resource, samplingInterval);
      }
    });
  }

  private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {
    RecordingDetector(Class<T> resource, int samplingInterval) {
      super(resource, samplingInterval);
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      LEAKS.add(resourceType + " leak:" + records);
      super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      LEAKS.add(resourceType + " leak (untraced)");
      super.reportUntracedLeak(resourceType);
    }
  }
}
