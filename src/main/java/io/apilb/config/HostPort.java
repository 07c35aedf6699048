package io.apilb.config;

import java.util.regex.Pattern;

/** A backend address, {@code host:port} or {@code [ipv6]:port}, parsed strictly. */
record HostPort(String host, int port) {

  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[-A-Za-z0-9_.]+)?");

  /**
   * Parses {@code text}.
   *
   * @throws IllegalArgumentException with a message that completes "address ..."
   */
  static HostPort parse(String text) {
    if (text.contains("://") || text.contains("/")) {
      throw new IllegalArgumentException("must be host:port without a scheme or path");
    }
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("has no closing ']' for its IPv6 address");
      }
      host = text.substring(1, close);
      if (!IPV6.matcher(host).matches() || host.indexOf(':') < 0) {
        throw new IllegalArgumentException("has an invalid IPv6 address in brackets");
      }
      String rest = text.substring(close + 1);
      if (!rest.startsWith(":")) {
        throw new IllegalArgumentException("needs a port, for example [" + host + "]:6443");
      }
      port = rest.substring(1);
    } else {
      int colon = text.lastIndexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("needs a port, for example " + text + ":6443");
      }
      host = text.substring(0, colon);
      port = text.substring(colon + 1);
      if (host.indexOf(':') >= 0) {
        throw new IllegalArgumentException(
            "IPv6 addresses need brackets, for example [" + host + "]:" + port);
      }
      if (!HOST.matcher(host).matches()) {
        throw new IllegalArgumentException("has an invalid host name or IPv4 address");
      }
    }
    return new HostPort(host, parsePort(port));
  }

  private static int parsePort(String port) {
    if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException("needs a numeric port after the last ':'");
    }
    int value = Integer.parseInt(port);
    if (value < 1 || value > 65535) {
      throw new IllegalArgumentException("has port " + value + ", outside 1-65535");
    }
    return value;
  }
}
