package io.apilb.sim;

/** A failure that becomes a Kubernetes {@code Status} response. */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int code;
  final String reason;
  final String name;
  final String kind;

  ApiException(int code, String reason, String message, String name, String kind) {
    super(message, null, false, false);
    this.code = code;
    this.reason = reason;
    this.name = name;
    this.kind = kind;
  }

  static ApiException notFound(ResourceKind kind, String name) {
    return new ApiException(404, "NotFound", kind.plural + " \"" + name + "\" not found", name, kind.plural);
  }

  static ApiException alreadyExists(ResourceKind kind, String name) {
    return new ApiException(409, "AlreadyExists", kind.plural + " \"" + name + "\" already exists", name,
        kind.plural);
  }

  static ApiException conflict(ResourceKind kind, String name) {
    return new ApiException(409, "Conflict", "Operation cannot be fulfilled on " + kind.plural + " \"" + name
        + "\": the object has been modified; please apply your changes to the latest version and try again",
        name, kind.plural);
  }

  static ApiException badRequest(String message) {
    return new ApiException(400, "BadRequest", message, null, null);
  }

  static ApiException invalid(ResourceKind kind, String name, String message) {
    return new ApiException(422, "Invalid", kind.kind + " \"" + name + "\" is invalid: " + message, name,
        kind.plural);
  }

  static ApiException methodNotAllowed() {
    return new ApiException(405, "MethodNotAllowed",
        "the server does not allow this method on the requested resource", null, null);
  }

  static ApiException pathNotFound() {
    return new ApiException(404, "NotFound", "the server could not find the requested resource", null, null);
  }

  static ApiException expired(long rv) {
    return new ApiException(410, "Expired", "too old resource version: " + rv, null, null);
  }
}
