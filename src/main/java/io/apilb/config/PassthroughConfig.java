package io.apilb.config;

import java.util.Objects;

/**
 * TLS passthrough ({@code apilb.passthrough.*}): connections whose ClientHello names one of
 * {@code serverNames} are not terminated; their TLS bytes are relayed to one ready backend.
 */
public record PassthroughConfig(ServerNames serverNames) {
  public static final PassthroughConfig OFF = new PassthroughConfig(ServerNames.NONE);

  public PassthroughConfig {
    Objects.requireNonNull(serverNames, "serverNames");
  }

  public boolean enabled() {
    return !serverNames.isEmpty();
  }
}
