package io.apilb.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.apilb.config.AccessLogConfig;
import io.apilb.config.AccessLogMode;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSON access log: event loops hand entries to a bounded queue (dropping, and counting, when
 * it is full rather than ever blocking); one background thread serialises and writes them, one
 * JSON object per line. In {@code sampled} mode, errors (status 400 and above) are always logged
 * and successes at the sample rate.
 */
public final class AsyncAccessLog implements AccessLog, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AsyncAccessLog.class);
  private static final int CAPACITY = 16_384;

  private final AccessLogConfig config;
  private final BlockingQueue<AccessLogEntry> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final LongAdder dropped = new LongAdder();
  private final OutputStream out;
  private final boolean ownsStream;
  private final Thread writer;
  private final JsonFactory json = new JsonFactory();
  private volatile boolean running = true;

  public AsyncAccessLog(AccessLogConfig config) throws IOException {
    this.config = config;
    if (config.file().isEmpty()) {
      this.out = System.out;
      this.ownsStream = false;
    } else {
      this.out = new FileOutputStream(config.file(), true);
      this.ownsStream = true;
    }
    this.writer = new Thread(this::drain, "apilb-access-log");
    writer.setDaemon(true);
    writer.start();
  }

  @Override
  public boolean enabled() {
    return true;
  }

  @Override
  public void record(AccessLogEntry e) {
    if (config.mode() == AccessLogMode.SAMPLED && e.status() < 400
        && ThreadLocalRandom.current().nextDouble() >= config.sampleRate()) {
      return;
    }
    if (!queue.offer(e)) {
      dropped.increment();
    }
  }

  public long dropped() {
    return dropped.sum();
  }

  private void drain() {
    while (running || !queue.isEmpty()) {
      try {
        AccessLogEntry e = queue.poll(200, TimeUnit.MILLISECONDS);
        if (e == null) {
          continue;
        }
        out.write(toJson(e).getBytes(StandardCharsets.UTF_8));
        if (queue.isEmpty()) {
          out.flush();
        }
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return;
      } catch (IOException io) {
        log.warn("access log write failed: {}", io.getMessage());
      }
    }
  }

  String toJson(AccessLogEntry e) throws IOException {
    StringWriter sw = new StringWriter(320);
    try (JsonGenerator g = json.createGenerator(sw)) {
      g.writeStartObject();
      g.writeStringField("time", e.time().toString());
      g.writeStringField("client", e.client());
      g.writeStringField("protocol", e.protocol());
      g.writeStringField("identity", e.identity());
      g.writeStringField("method", e.method());
      g.writeStringField("path", e.path());
      g.writeStringField("verb", e.request().verb());
      g.writeStringField("apiGroup", e.request().apiGroup());
      g.writeStringField("apiVersion", e.request().apiVersion());
      g.writeStringField("resource", e.request().resource());
      g.writeStringField("subresource", e.request().subresource());
      g.writeStringField("namespace", e.request().namespace());
      g.writeStringField("name", e.request().name());
      g.writeStringField("class", e.requestClass());
      g.writeStringField("backend", e.backend());
      g.writeNumberField("status", e.status());
      g.writeNumberField("bytes", e.bytes());
      g.writeNumberField("durationMs", e.durationMicros() / 1000.0);
      g.writeNumberField("retries", e.retries());
      g.writeStringField("auditId", e.auditId());
      if (e.failure() != null) {
        g.writeStringField("failure", e.failure());
      }
      g.writeEndObject();
    }
    return sw.append('\n').toString();
  }

  @Override
  public void close() {
    running = false;
    try {
      writer.join(2000);
      out.flush();
      if (ownsStream) {
        out.close();
      }
    } catch (InterruptedException | IOException e) {
      Thread.currentThread().interrupt();
    }
  }
}
