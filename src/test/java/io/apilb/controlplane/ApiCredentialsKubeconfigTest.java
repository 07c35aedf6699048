package io.apilb.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kubeconfig user that apilb's own reads authenticate as (apilb.api-identity.kubeconfig). */
class ApiCredentialsKubeconfigTest {
  @TempDir
  Path dir;

  @Test
  void theCurrentContextsUserTokenBecomesABearerHeader() throws IOException {
    Path kc = write("""
        apiVersion: v1
        kind: Config
        current-context: reader
        contexts:
        - name: other
          context: {cluster: c, user: someone-else}
        - name: reader
          context: {cluster: c, user: apilb-reader}
        users:
        - name: someone-else
          user: {token: wrong}
        - name: apilb-reader
          user:
            token: s3cret
        """);
    ApiCredential c = ApiCredentials.fromKubeconfig(kc, null, List.of()).current();
    assertThat(c.headers()).containsExactly(Map.entry("Authorization", "Bearer s3cret"));
  }

  @Test
  void aTokenFileIsReadRelativeToTheKubeconfigAtEveryRequest() throws IOException {
    Files.writeString(dir.resolve("token"), "first\n");
    Path kc = write("""
        current-context: r
        contexts: [{name: r, context: {user: u}}]
        users: [{name: u, user: {tokenFile: token}}]
        """);
    ApiCredentials credentials = ApiCredentials.fromKubeconfig(kc, null, List.of());
    assertThat(credentials.current().headers()).containsExactly(Map.entry("Authorization", "Bearer first"));
    Files.writeString(dir.resolve("token"), "rotated");
    assertThat(credentials.current().headers()).containsExactly(Map.entry("Authorization", "Bearer rotated"));
  }

  @Test
  void aContextWithoutAUserOrCredentialIsAnErrorNamingTheFile() throws IOException {
    Path noUser = write("""
        current-context: r
        contexts: [{name: r, context: {user: ghost}}]
        users: []
        """);
    assertThatThrownBy(() -> ApiCredentials.fromKubeconfig(noUser, null, List.of()))
        .isInstanceOf(IOException.class).hasMessageContaining(noUser.toString()).hasMessageContaining("no user");
    Path noCredential = write("""
        current-context: r
        contexts: [{name: r, context: {user: u}}]
        users: [{name: u, user: {token: null}}]
        """);
    assertThatThrownBy(() -> ApiCredentials.fromKubeconfig(noCredential, null, List.of()))
        .isInstanceOf(IOException.class).hasMessageContaining("has no token");
  }

  @Test
  void malformedYamlIsAnIoError() throws IOException {
    Path bad = write("current-context: [unclosed\n");
    assertThatThrownBy(() -> ApiCredentials.fromKubeconfig(bad, null, List.of())).isInstanceOf(IOException.class);
  }

  private Path write(String yaml) throws IOException {
    Path f = Files.createTempFile(dir, "kubeconfig", ".yaml");
    Files.writeString(f, yaml);
    return f;
  }
}
