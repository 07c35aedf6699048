package io.apilb.config;

/**
 * Whether the listener expects a PROXY protocol (v1 or v2) header before TLS
 * ({@code apilb.listener.proxy-protocol.mode}).
 *
 * <ul>
 *   <li>{@link #OFF}: no header; a client's first bytes are its TLS ClientHello.
 *   <li>{@link #ON}: every connection starts with a header from a trusted source; anything else
 *       is closed.
 *   <li>{@link #OPTIONAL}: a header is used when a trusted source sends one; connections without
 *       one are served with their own address (clients that bypass the L4 balancer).
 * </ul>
 */
public enum ProxyProtocolMode {
  OFF, ON, OPTIONAL
}
