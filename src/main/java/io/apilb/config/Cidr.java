package io.apilb.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * An address block such as {@code 10.0.0.0/8} or {@code fd00::/8}; a bare address is a block of
 * one. IPv4 blocks match IPv4 clients (Java reports IPv4-mapped IPv6 peers as IPv4).
 */
public record Cidr(byte[] network, int prefixLength, String text) {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  /** Whether {@code address} lies in this block. */
  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length != network.length) {
      return false;
    }
    int full = prefixLength / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != network[i]) {
        return false;
      }
    }
    int rest = prefixLength % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (a[full] & mask) == (network[full] & mask);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(network) * 31 + prefixLength;
  }

  @Override
  public String toString() {
    return text;
  }

  /** Parses an IP literal with an optional {@code /prefix}; never looks a name up. */
  static Cidr parse(String text) throws InvalidValue {
    String t = text.trim();
    int slash = t.indexOf('/');
    String ip = slash < 0 ? t : t.substring(0, slash);
    if (!IPV4.matcher(ip).matches() && !IPV6.matcher(ip).matches()) {
      throw new InvalidValue("must be an IP address or a CIDR block such as 10.0.0.0/8 or fd00::/8 (got \"" + text + "\")");
    }
    byte[] bytes;
    try {
      bytes = InetAddress.getByName(ip).getAddress(); // a literal: no lookup
    } catch (UnknownHostException e) {
      throw new InvalidValue("is not a valid IP address (got \"" + text + "\")");
    }
    int max = bytes.length * 8;
    int prefix = max;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(t.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > max) {
        throw new InvalidValue("needs a prefix length between 0 and " + max + " (got \"" + text + "\")");
      }
    }
    return new Cidr(bytes, prefix, t);
  }
}
