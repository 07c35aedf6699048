package io.apilb.config;

/**
 * Whether the listener asks clients for a certificate ({@code apilb.listener.tls.client-auth}).
 *
 * <ul>
 *   <li>{@link #AUTO}: {@link #OPTIONAL} when the client CA file exists (the kubeadm default
 *       {@code <pki-dir>/ca.crt}), else {@link #NONE}. Setting {@code client-ca-file} explicitly
 *       turns {@code auto} into {@code optional}.
 *   <li>{@link #OPTIONAL}: clients may present a certificate; it is verified against the client
 *       CA and its identity asserted to the backends with the front-proxy certificate. The client
 *       CA and the front-proxy certificate must load, or start-up fails naming the file.
 *   <li>{@link #NONE}: no client certificates; only bearer tokens and anonymous requests.
 * </ul>
 */
public enum ClientAuthMode {
  AUTO, OPTIONAL, NONE
}
