package io.apilb.controlplane;

import java.nio.charset.StandardCharsets;

/**
 * A response read in full by {@link ApiClient}.
 *
 * @param backend the backend that answered
 */
public record ApiResponse(String backend, int status, byte[] body) {
  public String text() {
    return new String(body, StandardCharsets.UTF_8);
  }

  public boolean ok() {
    return status == 200;
  }
}
