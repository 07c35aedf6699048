package io.apilb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.balancing.RequestClass;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestClassifierTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "/api/v1/namespaces/default/configmaps/bench, SHORT",
      "/api/v1/namespaces/default/configmaps?limit=500, SHORT",
      "/apis/apps/v1/deployments, SHORT",
      "/api/v1/namespaces/default/configmaps?watch=true, LONG_RUNNING",
      "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=5, LONG_RUNNING",
      "/api/v1/namespaces/default/configmaps?watch=false, SHORT",
      "/api/v1/namespaces/default/configmaps?watch=0, SHORT",
      "/api/v1/watch/namespaces/default/pods, LONG_RUNNING",
      "/apis/apps/v1/watch/deployments, LONG_RUNNING",
      // a percent escape may hide a word: the full rule decodes it, as the apiserver does
      "/api/v1/namespaces/default/configmaps?%77atch=true, LONG_RUNNING",
      "/api/v1/namespaces/default/pods/p/log?follow=true, LONG_RUNNING",
      "/api/v1/namespaces/default/pods/p/log, SHORT",
      "/api/v1/namespaces/default/pods/p/exec?command=ls, LONG_RUNNING",
      "/api/v1/namespaces/default/pods/p/attach, LONG_RUNNING",
      "/api/v1/namespaces/default/pods/p/portforward, LONG_RUNNING",
      "/api/v1/namespaces/default/services/s/proxy/healthz, LONG_RUNNING",
      "/debug/pprof/profile, LONG_RUNNING",
      // names that merely contain a word stay short
      "/api/v1/namespaces/catalog/configmaps/watchlist-settings, SHORT",
  })
  void classifiesLikeTheApiserver(String uri, RequestClass expected) {
    assertThat(RequestClassifier.classify(uri, new DefaultHttpHeaders())).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"Upgrade", "'keep-alive, Upgrade'", "UPGRADE"})
  void anyConnectionUpgradeIsAnUpgrade(String connection) {
    HttpHeaders h = new DefaultHttpHeaders().add("Connection", connection).add("Upgrade", "websocket");
    assertThat(RequestClassifier.classify("/api/v1/namespaces/default/configmaps", h)).isEqualTo(RequestClass.UPGRADE);
  }

  @ParameterizedTest
  @CsvSource({
      "/api/v1/namespaces/default/configmaps/bench, true",
      "/api/v1/namespaces/default/configmaps?watch=true, false",
      "/api/v1/pods/x/exec, false",
      "/x?a=%20, false",
  })
  void fastPathOnlyForUrisWithoutLongRunningWords(String uri, boolean plainlyShort) {
    assertThat(RequestClassifier.plainlyShort(uri)).isEqualTo(plainlyShort);
  }

  /** The hand-written splitter and query check agree with String.split and Netty's decoder. */
  @Test
  void pathSegmentsAndWatchQueryAgreeWithSplitAndTheDecoderOnGeneratedUris() {
    long seed = Long.getLong("fuzz.seed", 20261130L);
    java.util.Random rnd = new java.util.Random(seed);
    String[] parts = {"", "/", "//", "api", "apis", "v1", "watch", "namespaces", "a%20b", "x", "?", "&", "=",
        "watch=true", "watch=0", "watch=false", "watch", "%2F", "+", "pods"};
    for (int n = 0; n < 5000; n++) {
      StringBuilder b = new StringBuilder(rnd.nextBoolean() ? "/" : "");
      for (int k = rnd.nextInt(8); k > 0; k--) {
        b.append(parts[rnd.nextInt(parts.length)]);
      }
      String uri = b.toString();
      io.netty.handler.codec.http.QueryStringDecoder q = new io.netty.handler.codec.http.QueryStringDecoder(uri);
      assertThat(RequestClassifier.pathSegments(uri)).as("seed %d, %s", seed, uri).containsExactly(q.path().split("/"));
      assertThat(RequestClassifier.watchQuery(uri)).as("seed %d, %s", seed, uri)
          .isEqualTo(RequestClassifier.truthy(q.parameters().get("watch")));
    }
  }
}
