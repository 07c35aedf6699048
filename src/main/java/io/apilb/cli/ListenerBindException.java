package io.apilb.cli;

/**
 * A listening socket could not be bound (port in use, address not on this host, no permission):
 * one line for the operator naming the key, address and port, never a stack trace.
 */
public final class ListenerBindException extends RuntimeException {
  ListenerBindException(String key, String address, int port, Throwable cause) {
    super("cannot listen on " + (address.contains(":") ? "[" + address + "]" : address) + ":" + port + " ("
        + key + "): " + rootMessage(cause), cause);
  }

  /** Binds with {@code bind}, turning any failure into this exception. */
  static <T> T bind(String key, String address, int port, Binder<T> bind) throws InterruptedException {
    try {
      return bind.bind();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new ListenerBindException(key, address, port, e);
    }
  }

  interface Binder<T> {
    T bind() throws Exception;
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    // Netty's native transport says "bind(..) failed with error(-98): Address already in use"
    if (m != null) {
      m = m.replaceFirst("^bind\\(\\.\\.\\) failed[^:]*: ", "");
    }
    return m == null ? root.getClass().getSimpleName() : m;
  }
}
