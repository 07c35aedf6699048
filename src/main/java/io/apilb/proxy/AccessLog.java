package io.apilb.proxy;

/** Where finished exchanges are recorded. Called on event loops: implementations must not block. */
public interface AccessLog {
  void record(AccessLogEntry entry);

  /** Whether {@link #record} does anything (lets exchanges skip building entries). */
  boolean enabled();

  AccessLog OFF = new AccessLog() {
    @Override
    public void record(AccessLogEntry entry) {}

    @Override
    public boolean enabled() {
      return false;
    }
  };
}
