package io.apilb.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What kube-apiserver's request-info resolver makes of a request (verb, group, version, resource,
 * subresource, namespace, name): the access log and the per-verb metrics rest on it.
 */
class RequestInfoTest {
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
      GET    | /api/v1/namespaces/default/configmaps/bench          | get              | -    | v1 | configmaps  | -           | default | bench
      GET    | /api/v1/namespaces/default/configmaps                | list             | -    | v1 | configmaps  | -           | default | -
      GET    | /api/v1/pods?watch=true&resourceVersion=10           | watch            | -    | v1 | pods        | -           | -       | -
      GET    | /api/v1/pods?watch=false                             | list             | -    | v1 | pods        | -           | -       | -
      GET    | /api/v1/watch/namespaces/default/pods                | watch            | -    | v1 | pods        | -           | default | -
      GET    | /apis/apps/v1/deployments?watch=1                    | watch            | apps | v1 | deployments | -           | -       | -
      POST   | /apis/apps/v1/namespaces/d/deployments               | create           | apps | v1 | deployments | -           | d       | -
      PUT    | /apis/apps/v1/namespaces/d/deployments/web           | update           | apps | v1 | deployments | -           | d       | web
      PATCH  | /apis/apps/v1/namespaces/d/deployments/web/scale     | patch            | apps | v1 | deployments | scale       | d       | web
      DELETE | /api/v1/namespaces/d/configmaps                      | deletecollection | -    | v1 | configmaps  | -           | d       | -
      DELETE | /api/v1/namespaces/d/configmaps/x                    | delete           | -    | v1 | configmaps  | -           | d       | x
      POST   | /api/v1/namespaces/d/pods/p/exec?command=sh          | connect          | -    | v1 | pods        | exec        | d       | p
      GET    | /api/v1/namespaces/d/pods/p/portforward?ports=80     | connect          | -    | v1 | pods        | portforward | d       | p
      GET    | /api/v1/namespaces/d/pods/p/log?follow=true          | get              | -    | v1 | pods        | log         | d       | p
      GET    | /api/v1/namespaces/kube-system                       | get              | -    | v1 | namespaces  | -           | kube-system | kube-system
      GET    | /readyz?verbose                                      | get              | -    | -  | -           | -           | -       | -
      """)
  void resolvesLikeTheApiserver(String method, String uri, String verb, String group, String version, String resource,
      String subresource, String namespace, String name) {
    RequestInfo info = RequestInfo.parse(method, uri);

    assertThat(info.verb()).isEqualTo(verb);
    assertThat(info.apiGroup()).isEqualTo(orEmpty(group));
    assertThat(info.apiVersion()).isEqualTo(orEmpty(version));
    assertThat(info.resource()).isEqualTo(orEmpty(resource));
    assertThat(info.subresource()).isEqualTo(orEmpty(subresource));
    assertThat(info.namespace()).isEqualTo(orEmpty(namespace));
    assertThat(info.name()).isEqualTo(orEmpty(name));
    assertThat(info.resourceRequest()).isEqualTo(resource != null);
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }
}
