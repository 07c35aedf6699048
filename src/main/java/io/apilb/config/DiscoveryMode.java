package io.apilb.config;

/**
 * Where the backend list comes from ({@code apilb.discovery.mode}: {@code static} or
 * {@code endpointslice}).
 *
 * <ul>
 *   <li>{@link #STATIC}: exactly {@code apilb.backends}.
 *   <li>{@link #ENDPOINTSLICE}: {@code apilb.backends} are seeds; the members are the apiservers
 *       kube-apiserver publishes in the {@code default/kubernetes} EndpointSlices (Endpoints where
 *       there are no slices), read through the balanced backends.
 * </ul>
 */
public enum DiscoveryMode {
  STATIC, ENDPOINTSLICE
}
