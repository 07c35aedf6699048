package io.apilb.proxy;

import io.apilb.backend.pool.ConnectionKind;
import io.apilb.config.IdentityConfig;
import io.apilb.tls.ClientCertificateResult;
import io.apilb.tls.ClientIdentity;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The authenticating-proxy headers (kube-apiserver's request-header authentication).
 *
 * <p><b>Stripping.</b> Every client-supplied header named like the configured user, group or UID
 * header, or starting with the configured extra prefix, is removed from every request in any
 * letter case, and so are the standard {@code X-Remote-User}, {@code X-Remote-Uid},
 * {@code X-Remote-Group} and {@code X-Remote-Extra-*}, which aggregated API servers trust whatever
 * the cluster's own names are. A backend connection with the front-proxy certificate believes
 * these headers, so a client must never be able to send them.
 *
 * <p><b>Injection.</b> A verified client certificate becomes one user header (CN), one group
 * header line per O in order, the UID header when enabled, and extras with percent-encoded keys.
 * The request then goes on a {@link ConnectionKind#FRONT_PROXY} connection and its
 * {@code Authorization} header is dropped (the certificate wins, as on a direct connection).
 * Everything else (bearer tokens, anonymous requests) goes unchanged on a
 * {@link ConnectionKind#NO_CLIENT_CERT} connection. {@code Impersonate-*} headers always pass.
 *
 * <p><b>Refusal.</b> A certificate that failed verification and comes without a token gets 401,
 * never anonymous access; with a token the request is forwarded with the token alone.
 */
public final class IdentityHeaders {
  private static final List<String> STANDARD_NAMES = List.of("x-remote-user", "x-remote-uid", "x-remote-group");
  private static final String STANDARD_EXTRA_PREFIX = "x-remote-extra-";
  static final String WEBSOCKET_BEARER_PREFIX = "base64url.bearer.authorization.k8s.io.";

  private final IdentityConfig config;
  private final HeaderNameMatcher stripped;

  public IdentityHeaders(IdentityConfig config) {
    this.config = config;
    Set<String> names = new LinkedHashSet<>(STANDARD_NAMES);
    names.add(lower(config.userHeader()));
    names.add(lower(config.groupHeader()));
    names.add(lower(config.uidHeader()));
    this.stripped = HeaderNameMatcher.of(names, List.of(STANDARD_EXTRA_PREFIX, lower(config.extraHeaderPrefix())));
  }

  /** What to do with one request. */
  public static final class Decision {
    static final Decision UNCHANGED = new Decision(ConnectionKind.NO_CLIENT_CERT, null, null, null);

    private final ConnectionKind kind;
    private final ClientIdentity identity;
    private final String refusal;
    private final IdentityHeaders headers;

    private Decision(ConnectionKind kind, ClientIdentity identity, String refusal, IdentityHeaders headers) {
      this.kind = kind;
      this.identity = identity;
      this.refusal = refusal;
      this.headers = headers;
    }

    /** The kind of backend connection the request must use. */
    public ConnectionKind kind() {
      return kind;
    }

    public Optional<ClientIdentity> identity() {
      return Optional.ofNullable(identity);
    }

    /** Present when the request must be answered 401 by apilb. */
    public Optional<String> refusal() {
      return Optional.ofNullable(refusal);
    }

    /** Adds the identity headers to the backend request (and drops its Authorization). */
    public void applyTo(HttpHeaders backendHeaders) {
      if (identity != null) {
        headers.inject(backendHeaders, identity);
      }
    }
  }

  /**
   * Strips client-supplied identity headers from {@code clientHeaders} (in place) and decides how
   * the request proceeds, given its connection's client certificate.
   */
  public Decision forRequest(HttpHeaders clientHeaders, ClientCertificateResult certificate) {
    strip(clientHeaders);
    if (certificate.identity().isPresent()) {
      ClientIdentity id = certificate.identity().get();
      String bad = unsendable(id);
      if (bad != null) {
        return hasToken(clientHeaders) ? Decision.UNCHANGED
            : new Decision(ConnectionKind.NO_CLIENT_CERT, null, bad, this);
      }
      return new Decision(ConnectionKind.FRONT_PROXY, id, null, this);
    }
    if (certificate.rejection().isPresent() && !hasToken(clientHeaders)) {
      return new Decision(ConnectionKind.NO_CLIENT_CERT, null,
          "Unauthorized: client certificate rejected: " + certificate.rejection().get(), this);
    }
    return Decision.UNCHANGED;
  }

  /** The client certificate result of the client connection {@code ch}. */
  public static ClientCertificateResult certificateOf(Channel ch) {
    ClientCertificateResult r = ch.attr(ClientCertificateResult.ATTRIBUTE).get();
    return r == null ? ClientCertificateResult.none() : r;
  }

  /** Removes every identity header, in any letter case. Allocates nothing when there is none. */
  void strip(HttpHeaders headers) {
    List<String> doomed = null;
    Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
    while (it.hasNext()) {
      CharSequence name = it.next().getKey();
      if (isIdentityHeader(name)) {
        if (doomed == null) {
          doomed = new ArrayList<>(2);
        }
        doomed.add(name.toString());
      }
    }
    if (doomed != null) {
      doomed.forEach(headers::remove); // remove(String) ignores case
    }
  }

  boolean isIdentityHeader(CharSequence name) {
    return stripped.matches(name);
  }


  private void inject(HttpHeaders out, ClientIdentity id) {
    out.remove(HttpHeaderNames.AUTHORIZATION);
    out.add(config.userHeader(), id.user());
    for (String g : id.groups()) {
      if (!g.isEmpty()) {
        out.add(config.groupHeader(), g);
      }
    }
    if (config.sendUid()) {
      id.uid().ifPresent(uid -> out.add(config.uidHeader(), uid));
    }
    for (Map.Entry<String, List<String>> e : id.extra().entrySet()) {
      if (e.getKey().equals(ClientIdentity.CREDENTIAL_ID_KEY) && !config.sendCredentialId()) {
        continue;
      }
      String name = config.extraHeaderPrefix() + encodeExtraKey(e.getKey());
      e.getValue().forEach(v -> out.add(name, v));
    }
  }

  /**
   * Percent-encodes an extra key so it is a legal header name: the apiserver lower-cases the
   * name's suffix and then percent-decodes it. {@code %} itself is encoded.
   */
  static String encodeExtraKey(String key) {
    StringBuilder b = new StringBuilder(key.length() + 8);
    for (byte x : key.getBytes(StandardCharsets.UTF_8)) {
      int c = x & 0xff;
      if (c < 0x80 && c != '%' && isTokenChar((char) c)) {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return b.toString();
  }

  private static boolean isTokenChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }

  /** Header values are sent as ASCII: anything else could be altered in transit into another name. */
  private static String unsendable(ClientIdentity id) {
    List<String> values = new ArrayList<>(id.groups());
    values.add(id.user());
    id.uid().ifPresent(values::add);
    for (String v : values) {
      for (int i = 0; i < v.length(); i++) {
        char c = v.charAt(i);
        if (c < 0x20 || c >= 0x7f) {
          return "Unauthorized: client certificate subject has characters that cannot be passed on in a header";
        }
      }
    }
    return null;
  }

  private static boolean hasToken(HttpHeaders headers) {
    String auth = headers.get(HttpHeaderNames.AUTHORIZATION);
    if (auth != null && !auth.isBlank()) {
      return true;
    }
    for (String p : headers.getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)) {
      if (p.contains(WEBSOCKET_BEARER_PREFIX)) {
        return true;
      }
    }
    return false;
  }

  private static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
