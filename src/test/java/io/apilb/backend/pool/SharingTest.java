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

  @Test
  void aConnectionsMemoDigestsARepeatedCredentialOnceAndNeverConfusesTwo() {
    CredentialKeys keys = new CredentialKeys();
    Sharing.CredentialKey a = Sharing.of(ConnectionKind.NO_CLIENT_CERT, "Bearer secret-a", keys).credential();
    // the same text in another object (each request's header value is its own string)
    Sharing.CredentialKey again =
        Sharing.of(ConnectionKind.NO_CLIENT_CERT, new StringBuilder("Bearer secret-a"), keys).credential();
    assertThat(again).as("taken from the memo, not digested again").isSameAs(a);

    Sharing.CredentialKey b = Sharing.of(ConnectionKind.NO_CLIENT_CERT, "Bearer secret-b", keys).credential();
    Sharing.CredentialKey prefix = Sharing.of(ConnectionKind.NO_CLIENT_CERT, "Bearer secret-", keys).credential();
    Sharing.CredentialKey a3 = Sharing.of(ConnectionKind.NO_CLIENT_CERT, "Bearer secret-a", keys).credential();
    assertThat(b).isNotEqualTo(a);
    assertThat(prefix).isNotEqualTo(a).isNotEqualTo(b);
    assertThat(a3).isEqualTo(a).isEqualTo(Sharing.of(ConnectionKind.NO_CLIENT_CERT, "Bearer secret-a").credential());
  }
}
