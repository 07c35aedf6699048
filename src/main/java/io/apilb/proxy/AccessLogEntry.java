package io.apilb.proxy;

import java.time.Instant;

/**
 * One finished exchange. Never holds a credential: {@code identity} is a certificate's user name,
 * {@code "token"} or {@code "anonymous"}.
 *
 * @param status HTTP status sent to the client; 499 when the client went away first
 * @param retries how many other backends were tried before this one answered
 * @param auditId the backend's {@code Audit-Id} response header, for joining with its audit log
 * @param failure why the exchange did not end normally (a {@link ProxyFailure} metric tag such
 *     as {@code backend_timeout}, also when the response had begun and its status is the
 *     backend's), or null
 */
public record AccessLogEntry(
    Instant time,
    String client,
    String protocol,
    String identity,
    String method,
    String path,
    RequestInfo request,
    String requestClass,
    String backend,
    int status,
    long bytes,
    long durationMicros,
    int retries,
    String auditId,
    String failure) {}
