package io.apilb.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.apilb.backend.Backend;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ApiClient#close}: a read that waits on a backend (here one that accepts and never answers
 * the TLS handshake) is failed and its connection closed through the pipeline, before the event
 * loops go; that is what keeps a request the TLS handler holds from leaking at shutdown (the suite
 * runs with paranoid leak detection).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ApiClientTest {
  private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private ServerSocket silent;

  @BeforeEach
  void listen() throws Exception {
    silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
  }

  @AfterEach
  void stop() throws Exception {
    silent.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void closeFailsAWaitingReadAndClosesItsConnection() throws Exception {
    ApiClient client = new ApiClient(group, NioSocketChannel.class, Duration.ofSeconds(20));
    CompletableFuture<ApiResponse> read = client.get(backend(), "/api/v1/namespaces/default/endpoints",
        credential());
    try (Socket accepted = silent.accept()) {
      accepted.setSoTimeout(10_000);
      InputStream in = accepted.getInputStream();
      assertThat(in.read()).as("the client's TLS hello arrives").isNotEqualTo(-1);

      assertThat(client.close().awaitUninterruptibly(5, TimeUnit.SECONDS)).as("the close completes").isTrue();

      assertThatThrownBy(() -> read.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
      byte[] rest = new byte[4096];
      int n;
      do {
        n = in.read(rest);
      } while (n > 0);
      assertThat(n).as("the connection is closed").isEqualTo(-1);
    }
  }

  @Test
  void aReadAfterCloseFailsAtOnce() throws Exception {
    ApiClient client = new ApiClient(group, NioSocketChannel.class, Duration.ofSeconds(20));
    client.close();
    CompletableFuture<ApiResponse> read = client.get(backend(), "/readyz", credential());
    assertThatThrownBy(() -> read.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .hasMessageContaining("closed");
  }

  private Backend backend() {
    return new Backend("cp1", "127.0.0.1", silent.getLocalPort(), Optional.empty(), 1);
  }

  private static ApiCredential credential() throws Exception {
    return new ApiCredential(SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build(),
        List.of(), "test");
  }
}
