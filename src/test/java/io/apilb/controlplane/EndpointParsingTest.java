package io.apilb.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.apilb.controlplane.DiscoveryStatus.Endpoint;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class EndpointParsingTest {

  @Test
  void slicesGiveEveryReadyAddressWithTheHttpsPort() throws Exception {
    var list = json("""
        {"kind":"EndpointSliceList","items":[{"addressType":"IPv4",
          "endpoints":[{"addresses":["10.0.0.11"],"conditions":{"ready":true}},
                       {"addresses":["10.0.0.12"]},
                       {"addresses":["10.0.0.13"],"conditions":{"ready":false}}],
          "ports":[{"name":"metrics","port":9000},{"name":"https","port":6443,"protocol":"TCP"}]}]}""");
    assertThat(EndpointParsing.fromSlices(list))
        .containsExactly(new Endpoint("10.0.0.11", 6443), new Endpoint("10.0.0.12", 6443));
  }

  @Test
  void endpointsGiveTheSubsetAddresses() throws Exception {
    var ep = json("""
        {"kind":"Endpoints","subsets":[{"addresses":[{"ip":"10.0.0.11"},{"ip":"10.0.0.12"}],
          "ports":[{"name":"https","port":6443,"protocol":"TCP"}]}]}""");
    assertThat(EndpointParsing.fromEndpoints(ep))
        .containsExactly(new Endpoint("10.0.0.11", 6443), new Endpoint("10.0.0.12", 6443));
  }

  @Test
  void nullMissingAndBlankAddressesAreSkipped() throws Exception {
    var list = json("""
        {"items":[{"endpoints":[{"addresses":[null,"","10.0.0.11"," "]}],"ports":[{"name":"https","port":6443}]}]}""");
    assertThat(EndpointParsing.fromSlices(list)).containsExactly(new Endpoint("10.0.0.11", 6443));
    var ep = json("""
        {"subsets":[{"addresses":[{"ip":null},{},{"ip":"10.0.0.12"}],"ports":[{"port":6443}]}]}""");
    assertThat(EndpointParsing.fromEndpoints(ep)).containsExactly(new Endpoint("10.0.0.12", 6443));
  }

  @Test
  void anEmptyListGivesNothing() throws Exception {
    assertThat(EndpointParsing.fromSlices(json("{\"items\":[]}"))).isEmpty();
    assertThat(EndpointParsing.fromEndpoints(json("{}"))).isEmpty();
  }

  @Test
  void leaseSpecIsReadWithMicroTimes() throws Exception {
    var spec = json("""
        {"holderIdentity":"cp1_7c9e","leaseDurationSeconds":15,"acquireTime":"2025-05-01T10:00:00.000000Z",
         "renewTime":"2025-05-01T10:05:00.123456Z","leaseTransitions":3}""");
    LeaseStatus l = LeaseReads.parse(LeaseStatus.unread("kube-system", "kube-scheduler"), spec, Instant.EPOCH);
    assertThat(l.holder()).isEqualTo("cp1_7c9e");
    assertThat(l.transitions()).isEqualTo(3);
    assertThat(l.renewTime()).contains(Instant.parse("2025-05-01T10:05:00.123456Z"));
    assertThat(l.expired(Instant.parse("2025-05-01T10:05:10Z"))).isFalse();
    assertThat(l.expired(Instant.parse("2025-05-01T10:05:20Z"))).isTrue();
    assertThat(l.error()).isEmpty();
  }

  private static JsonValue json(String text) throws java.io.IOException {
    return JsonValue.parse(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
