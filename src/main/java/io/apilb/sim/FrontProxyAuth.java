package io.apilb.sim;

import io.netty.handler.codec.http.HttpHeaders;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.security.auth.x500.X500Principal;

/**
 * kube-apiserver's authentication chain for the simulated apiserver, with the real
 * request-header ("front-proxy") rules:
 *
 * <ol>
 *   <li>request-header: only for a connection whose client certificate chains to the
 *       request-header CA. A CN outside the allowed names is an error and the headers are
 *       ignored. With a trusted proxy certificate, the first non-empty user header names the
 *       user, every group header line is a group, extra headers give extras (key lower-cased
 *       and percent-decoded); no user header: no opinion.
 *   <li>x509: a client certificate chaining to the client CA with clientAuth usage: user CN,
 *       groups O. A certificate that does not chain is an error.
 *   <li>bearer token: any {@code Authorization: Bearer <token>} is accepted as user
 *       {@code token:<token>} (the simulation trusts every token).
 * </ol>
 *
 * The first success wins; if none succeeds and any step reported an error, the request is 401;
 * with no credential at all it is anonymous ({@code system:anonymous}), as with kube-apiserver's
 * {@code --anonymous-auth=true}.
 */
public final class FrontProxyAuth {
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  /** How the user was authenticated. */
  public enum Method { REQUEST_HEADER, X509, TOKEN, ANONYMOUS }

  /** An authenticated user. */
  public record User(String name, List<String> groups, Map<String, List<String>> extra, Method method) {
    public User {
      groups = List.copyOf(groups);
      extra = Map.copyOf(extra);
    }
  }

  /** The outcome: a user, or 401 with the collected errors. */
  public record Result(Optional<User> user, List<String> errors) {
    public boolean unauthorized() {
      return user.isEmpty();
    }
  }

  private final List<X509Certificate> requestHeaderCas;
  private final Set<String> allowedNames;
  private final List<X509Certificate> clientCas;
  private final List<String> userHeaders;
  private final List<String> groupHeaders;
  private final List<String> extraPrefixes;

  public FrontProxyAuth(List<X509Certificate> requestHeaderCas, Set<String> allowedNames,
      List<X509Certificate> clientCas, List<String> userHeaders, List<String> groupHeaders,
      List<String> extraPrefixes) {
    this.requestHeaderCas = List.copyOf(requestHeaderCas);
    this.allowedNames = Set.copyOf(allowedNames);
    this.clientCas = List.copyOf(clientCas);
    this.userHeaders = List.copyOf(userHeaders);
    this.groupHeaders = List.copyOf(groupHeaders);
    this.extraPrefixes = extraPrefixes.stream().map(p -> p.toLowerCase(Locale.ROOT)).toList();
  }

  /** kubeadm's flags: allowed name {@code front-proxy-client}, X-Remote-User/-Group/-Extra-. */
  public static FrontProxyAuth kubeadm(X509Certificate frontProxyCa, X509Certificate clientCa) {
    return new FrontProxyAuth(List.of(frontProxyCa), Set.of("front-proxy-client"), List.of(clientCa),
        List.of("X-Remote-User"), List.of("X-Remote-Group"), List.of("X-Remote-Extra-"));
  }

  /** With other allowed names (empty: any certificate of the request-header CA). */
  public FrontProxyAuth withAllowedNames(Set<String> names) {
    return new FrontProxyAuth(requestHeaderCas, names, clientCas, userHeaders, groupHeaders, extraPrefixes);
  }

  /** Every CA whose subject the apiserver advertises in its CertificateRequest. */
  public List<X509Certificate> advertisedAuthorities() {
    List<X509Certificate> all = new ArrayList<>(clientCas);
    all.addAll(requestHeaderCas);
    return all;
  }

  /** Authenticates one request on a connection with {@code peer} as its client certificate. */
  public Result authenticate(HttpHeaders headers, Optional<X509Certificate> peer) {
    List<String> errors = new ArrayList<>();
    if (peer.isPresent()) {
      X509Certificate cert = peer.get();
      if (chainsTo(cert, requestHeaderCas)) {
        String cn = commonName(cert);
        if (!allowedNames.isEmpty() && !allowedNames.contains(cn)) {
          errors.add("x509: subject with cn=" + cn + " is not in the allowed list");
        } else {
          Optional<User> u = fromHeaders(headers);
          if (u.isPresent()) {
            return new Result(u, List.of());
          }
        }
      } else {
        errors.add("request-header: certificate not signed by the request-header CA");
      }
      if (chainsTo(cert, clientCas) && clientAuth(cert)) {
        return new Result(Optional.of(new User(commonName(cert), organizations(cert), Map.of(), Method.X509)),
            List.of());
      }
      errors.add("x509: certificate signed by unknown authority");
    }
    String auth = headers.get("Authorization");
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) && auth.length() > 7) {
      return new Result(Optional.of(new User("token:" + auth.substring(7).trim(),
          List.of("system:authenticated"), Map.of(), Method.TOKEN)), List.of());
    }
    if (!errors.isEmpty()) {
      return new Result(Optional.empty(), errors);
    }
    return new Result(Optional.of(new User("system:anonymous", List.of("system:unauthenticated"), Map.of(),
        Method.ANONYMOUS)), List.of());
  }

  private Optional<User> fromHeaders(HttpHeaders headers) {
    String name = null;
    for (String h : userHeaders) {
      String v = headers.get(h);
      if (v != null && !v.isEmpty()) {
        name = v;
        break;
      }
    }
    if (name == null) {
      return Optional.empty();
    }
    List<String> groups = new ArrayList<>();
    for (String h : groupHeaders) {
      headers.getAll(h).stream().filter(v -> !v.isEmpty()).forEach(groups::add);
    }
    Map<String, List<String>> extra = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : headers) {
      String lower = e.getKey().toLowerCase(Locale.ROOT);
      for (String p : extraPrefixes) {
        if (lower.startsWith(p)) {
          String key = unescape(lower.substring(p.length()));
          extra.computeIfAbsent(key, k -> new ArrayList<>()).add(e.getValue());
        }
      }
    }
    return Optional.of(new User(name, groups, extra, Method.REQUEST_HEADER));
  }

  private static String unescape(String key) {
    try {
      return URLDecoder.decode(key.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return key; // malformed: kept as is, like url.PathUnescape's caller
    }
  }

  private static boolean chainsTo(X509Certificate cert, List<X509Certificate> cas) {
    for (X509Certificate ca : cas) {
      if (cert.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
        try {
          cert.verify(ca.getPublicKey());
          cert.checkValidity();
          return true;
        } catch (GeneralSecurityException e) {
          // try the next CA
        }
      }
    }
    return false;
  }

  private static boolean clientAuth(X509Certificate cert) {
    try {
      List<String> eku = cert.getExtendedKeyUsage();
      return eku == null || eku.contains(CLIENT_AUTH);
    } catch (CertificateParsingException e) {
      return false;
    }
  }

  static String commonName(X509Certificate cert) {
    List<String> cns = attributes(cert, "CN");
    return cns.isEmpty() ? "" : cns.get(cns.size() - 1);
  }

  static List<String> organizations(X509Certificate cert) {
    return attributes(cert, "O");
  }

  /** Attribute values in encoding order (RFC 2253 lists RDNs in reverse). */
  private static List<String> attributes(X509Certificate cert, String type) {
    String dn = cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
    List<String> out = new ArrayList<>();
    for (String rdn : splitUnescaped(dn)) {
      int eq = rdn.indexOf('=');
      if (eq > 0 && rdn.substring(0, eq).equalsIgnoreCase(type)) {
        out.add(0, rdn.substring(eq + 1).replace("\\,", ",").replace("\\\\", "\\"));
      }
    }
    return out;
  }

  private static List<String> splitUnescaped(String dn) {
    List<String> parts = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < dn.length(); i++) {
      char c = dn.charAt(i);
      if (c == '\\' && i + 1 < dn.length()) {
        cur.append(c).append(dn.charAt(++i));
      } else if (c == ',' || c == '+') {
        parts.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    parts.add(cur.toString());
    return parts;
  }
}
