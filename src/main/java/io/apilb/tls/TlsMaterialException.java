package io.apilb.tls;

/** Key material that cannot be read or does not fit; the message names the file(s). */
public final class TlsMaterialException extends Exception {
  private static final long serialVersionUID = 1L;

  public TlsMaterialException(String message) {
    super(message);
  }

  public TlsMaterialException(String message, Throwable cause) {
    super(message, cause);
  }
}
