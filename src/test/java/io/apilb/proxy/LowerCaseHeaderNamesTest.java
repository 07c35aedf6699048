package io.apilb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

class LowerCaseHeaderNamesTest {
  @Test
  void commonNamesInAnyCaseComeBackAsTheSharedLowerCaseConstant() {
    AsciiString a = LowerCaseHeaderNames.of("Content-Type");
    AsciiString b = LowerCaseHeaderNames.of(new AsciiString("CONTENT-TYPE"));
    assertThat(a.toString()).isEqualTo("content-type");
    assertThat((Object) a).isSameAs(b);
    assertThat(LowerCaseHeaderNames.of("X-Kubernetes-Pf-Flowschema-Uid").toString())
        .isEqualTo("x-kubernetes-pf-flowschema-uid");
  }

  @Test
  void otherNamesAreLowerCasedAndNeverConfusedWithACommonOne() {
    assertThat(LowerCaseHeaderNames.of("X-Custom-Thing").toString()).isEqualTo("x-custom-thing");
    assertThat(LowerCaseHeaderNames.of("Content-Typ").toString()).isEqualTo("content-typ");
    assertThat(LowerCaseHeaderNames.of("Content-Types").toString()).isEqualTo("content-types");
    assertThat(LowerCaseHeaderNames.of("").toString()).isEmpty();
  }
}
