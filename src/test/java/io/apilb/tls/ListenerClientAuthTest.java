package io.apilb.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.apilb.pki.CertificateIssuer;
import io.apilb.pki.CertificateIssuer.Issued;
import io.apilb.pki.CertificateIssuer.LeafSpec;
import io.apilb.testing.ForcedClientCertificate;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The listener context with client certificates, on BoringSSL and on the JDK: the
 * CertificateRequest names the client CA (what JSSE key managers choose by), and a certificate
 * from an unknown CA still completes the handshake so that apilb can answer 401 itself.
 */
class ListenerClientAuthTest {
  static final Issued CA = CertificateIssuer.selfSignedCa("cluster-ca-for-clients", Duration.ofDays(1));
  static final Issued OTHER = CertificateIssuer.selfSignedCa("unknown-ca", Duration.ofDays(1));

  @ParameterizedTest
  @CsvSource({"OPENSSL,TLSv1.3", "OPENSSL,TLSv1.2", "JDK,TLSv1.3", "JDK,TLSv1.2"})
  void advertisesTheClientCaAndLetsAnyCertificateThrough(SslProvider provider, String protocol) throws Exception {
    assumeTrue(provider == SslProvider.JDK || OpenSsl.isAvailable(), "BoringSSL is not available");
    Issued serving = CertificateIssuer.issue(CA, LeafSpec.server("apilb", List.of("localhost"), List.of("127.0.0.1"),
        Duration.ofDays(1)));
    SslContext ctx = TlsContexts.server(serving.keyMaterial(), List.of(CA.certificate()), provider);
    ClientCertificateVerifier verifier = new ClientCertificateVerifier(List.of(CA.certificate()), java.time.Clock.systemUTC());
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    AtomicReference<CompletableFuture<ClientCertificateResult>> seen = new AtomicReference<>();
    try {
      Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(ctx.newHandler(ch.alloc())).addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void userEventTriggered(ChannelHandlerContext c, Object evt) {
                  if (evt instanceof SslHandshakeCompletionEvent e) {
                    if (e.isSuccess()) {
                      seen.get().complete(verifier.verify(c.pipeline().get(SslHandler.class).engine().getSession()));
                    } else {
                      seen.get().completeExceptionally(e.cause());
                    }
                  }
                }
              });
            }
          }).bind("127.0.0.1", 0).sync().channel();
      int port = ((InetSocketAddress) server.localAddress()).getPort();

      for (Issued client : List.of(
          CertificateIssuer.issue(CA, LeafSpec.client("alice", List.of("dev"), Duration.ofDays(1))),
          CertificateIssuer.issue(OTHER, LeafSpec.client("mallory", List.of(), Duration.ofDays(1))))) {
        seen.set(new CompletableFuture<>());
        List<String> offeredIssuers = new CopyOnWriteArrayList<>();
        try (SSLSocket s = (SSLSocket) clientContext(client, offeredIssuers).getSocketFactory().createSocket("127.0.0.1", port)) {
          s.setEnabledProtocols(new String[] {protocol});
          s.startHandshake();
          s.getOutputStream().write(0);
          s.getOutputStream().flush();
        }
        ClientCertificateResult r = seen.get().get(5, TimeUnit.SECONDS);
        assertThat(offeredIssuers).as("issuers in the CertificateRequest")
            .containsExactly(CA.certificate().getSubjectX500Principal().getName());
        if (client.certificate().getIssuerX500Principal().equals(CA.certificate().getSubjectX500Principal())) {
          assertThat(r.identity().orElseThrow().user()).isEqualTo("alice");
        } else {
          assertThat(r.rejection()).hasValueSatisfying(m -> assertThat(m).contains("unknown authority"));
        }
      }
      server.close().sync();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  /** Trusts the CA; presents {@code cert} whatever is asked, recording the issuers the server named. */
  private static SSLContext clientContext(Issued cert, List<String> issuersSeen) throws Exception {
    return ForcedClientCertificate.sslContext(CA.certificate(), cert, issuersSeen::add);
  }
}
