package io.apilb.backend.pool;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SharingTest {
  @Test
  void frontProxyRequestsShareOneMultiplexedPool() {
    Sharing s = Sharing.of(ConnectionKind.FRONT_PROXY, "Bearer ignored");
    assertThat(s.multiplexed()).isTrue();
    assertThat(s.credential()).isNull();
  }

  @Test
  void anonymousRequestsAreNeverMultiplexed() {
    assertThat(Sharing.of(ConnectionKind.NO_CLIENT_CERT, null).multiplexed()).isFalse();
    assertThat(Sharing.of(ConnectionKind.NO_CLIENT_CERT, "").multiplexed()).isFalse();
  }

  @Test
  void eachCredentialHasItsOwnKeyAndNeverShowsIt() {
    Sharing a = Sharing.of(ConnectionKind.NO_CLIENT_CERT, "Bearer secret-a");
    Sharing a2 = Sharing.of(ConnectionKind.NO_CLIENT_CERT, "Bearer secret-a");
    Sharing b = Sharing.of(ConnectionKind.NO_CLIENT_CERT, "Bearer secret-b");
    assertThat(a.multiplexed()).isTrue();
    assertThat(a.credential()).isEqualTo(a2.credential()).isNotEqualTo(b.credential());
    assertThat(a.toString()).doesNotContain("secret").doesNotContain(Long.toString(a.credential().high()));
  }
}
