package io.apilb.backend;

/**
 * Why a backend is out of rotation. A backend is ready only when it carries no flag
 * (after Envoy's health flags): each reason is set and cleared by its own owner, so an
 * operator's drain is never confused with a failed probe.
 */
public enum HealthFlag {
  /** Not enough probes yet: waiting for {@code rise} consecutive successes. */
  PENDING_FIRST_PROBE("pending_first_probe"),
  /** {@code fall} consecutive probes failed. */
  FAILED_PROBE("failed_probe"),
  /** The backend reported {@code [-]shutdown} or a failing readyz: no new requests. */
  DRAINING("draining"),
  /** Passive outlier detection ejected it for a back-off period. */
  EJECTED("ejected"),
  /** An operator drained it through the admin port. */
  DISABLED_BY_OPERATOR("disabled_by_operator");

  private final String label;

  HealthFlag(String label) {
    this.label = label;
  }

  /** Lower-case name used in metrics labels and {@code /backends}. */
  public String label() {
    return label;
  }
}
