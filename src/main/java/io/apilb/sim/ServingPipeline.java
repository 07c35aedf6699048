package io.apilb.sim;

import io.apilb.tls.AdvertisingTrustManager;
import io.apilb.tls.TlsContexts;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * What each connection a simulated apiserver accepts gets: TLS with the apiserver's ALPN offer and
 * client-certificate policy, then HTTP/2 (see {@link Http2Serving}) or HTTP/1.1 serving by a
 * {@link ConnectionHandler}.
 */
final class ServingPipeline extends ChannelInitializer<SocketChannel> {
  private final SimulatedApiserver server;
  private final SslContext tls;
  private final boolean http2;

  ServingPipeline(SimulatedApiserver server, SslContext tls, boolean http2) {
    this.server = server;
    this.tls = tls;
    this.http2 = http2;
  }

  /**
   * The serving TLS context: TLS 1.3 and 1.2, ALPN {@code h2} (when {@code http2}) before
   * {@code http/1.1}, and client certificates as {@code auth} wants them or, without it, accepted
   * from {@code clientCas} (none: not asked for).
   */
  static SslContext tls(TlsContexts.KeyMaterial keyMaterial, boolean http2, FrontProxyAuth auth,
      List<X509Certificate> clientCas) throws SSLException {
    SslContextBuilder ssl = SslContextBuilder
        .forServer(keyMaterial.key(), keyMaterial.chain().toArray(new X509Certificate[0]))
        .sslProvider(TlsContexts.provider())
        .protocols("TLSv1.3", "TLSv1.2")
        .applicationProtocolConfig(new ApplicationProtocolConfig(
            ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            http2 ? List.of(ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1)
                : List.of(ApplicationProtocolNames.HTTP_1_1)));
    if (auth != null) {
      // like kube-apiserver: request any certificate, advertise the client and request-header CAs,
      // and let the authenticators decide per request
      ssl.clientAuth(ClientAuth.OPTIONAL).trustManager(new AdvertisingTrustManager(auth.advertisedAuthorities()));
    } else if (clientCas.isEmpty()) {
      ssl.clientAuth(ClientAuth.NONE);
    } else {
      ssl.clientAuth(ClientAuth.OPTIONAL).trustManager(clientCas.toArray(new X509Certificate[0]));
    }
    return ssl.build();
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    server.openConnections().connectionAccepted(ch);
    ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
    if (http2) {
      ch.pipeline().addLast("alpn", Http2Serving.negotiator(server, this::addHttp1Handlers));
    } else {
      addHttp1Handlers(ch);
    }
  }

  private void addHttp1Handlers(Channel ch) {
    ch.pipeline().addLast("http", new HttpServerCodec(16384, 65536, 65536));
    ch.pipeline().addLast("api", server.newConnectionHandler());
  }
}
