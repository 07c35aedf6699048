package io.apilb.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Raw TLS from a test: the JDK's SSLSocket with chosen protocols, cipher suites and SNI, over a
 * plain socket that may first carry a PROXY protocol header. Trusts any certificate, because the
 * tests look at which certificate they got.
 */
public final class RawTls {
  private RawTls() {}

  /** What to offer; null fields keep the JDK's defaults. */
  public record Offer(String serverName, List<String> protocols, List<String> cipherSuites) {
    public static Offer sni(String serverName) {
      return new Offer(serverName, null, null);
    }
  }

  /** A TCP connection to {@code port} on 127.0.0.1 that has sent {@code preface} (may be empty). */
  public static Socket connect(int port, byte[] preface) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    s.setSoTimeout(10_000);
    s.getOutputStream().write(preface);
    s.getOutputStream().flush();
    return s;
  }

  /** Runs a TLS handshake over {@code plain} as {@code offer} says; throws when it fails. */
  public static SSLSocket handshake(Socket plain, Offer offer) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {TRUST_ALL}, null);
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "127.0.0.1", plain.getPort(), true);
    SSLParameters p = s.getSSLParameters();
    if (offer.serverName() != null) {
      p.setServerNames(List.of(new SNIHostName(offer.serverName())));
    }
    if (offer.protocols() != null) {
      p.setProtocols(offer.protocols().toArray(new String[0]));
    }
    if (offer.cipherSuites() != null) {
      p.setCipherSuites(offer.cipherSuites().toArray(new String[0]));
    }
    p.setApplicationProtocols(new String[] {"http/1.1"});
    s.setSSLParameters(p);
    s.startHandshake();
    return s;
  }

  /** The leaf certificate a handshake with {@code offer} gets from 127.0.0.1:{@code port}. */
  public static X509Certificate serverCertificate(int port, Offer offer) throws Exception {
    try (SSLSocket s = handshake(connect(port, new byte[0]), offer)) {
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  /** Sends one HTTP/1.1 GET with a bearer token and returns the whole response (Connection: close). */
  public static String get(Socket tls, String path) throws IOException {
    OutputStream out = tls.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer test-token\r\n"
        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = tls.getInputStream();
    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
  }

  /** Whether the peer closed {@code s} without sending anything (read returns end of stream or a reset). */
  public static boolean closedByPeer(Socket s) {
    try {
      return s.getInputStream().read() == -1;
    } catch (IOException e) {
      return !(e instanceof java.net.SocketTimeoutException);
    }
  }

  /** A PROXY protocol v1 header claiming {@code sourceIp}:{@code sourcePort} (IPv4). */
  public static byte[] proxyV1(String sourceIp, int sourcePort, int destinationPort) {
    return ("PROXY TCP4 " + sourceIp + " 127.0.0.1 " + sourcePort + " " + destinationPort + "\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** The 12-byte signature of PROXY protocol v2. */
  public static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

  /** A PROXY protocol v2 header (PROXY command, TCP over IPv4) claiming {@code source}, with {@code tlvs} appended. */
  public static byte[] proxyV2(byte[] source, int sourcePort, int destinationPort, byte[] tlvs) {
    int length = 12 + tlvs.length;
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16 + length);
    b.put(V2_SIGNATURE).put((byte) 0x21).put((byte) 0x11).putShort((short) length);
    b.put(source).put(new byte[] {127, 0, 0, 1}).putShort((short) sourcePort).putShort((short) destinationPort);
    b.put(tlvs);
    return b.array();
  }

  private static final X509TrustManager TRUST_ALL = new X509TrustManager() {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  };
}
