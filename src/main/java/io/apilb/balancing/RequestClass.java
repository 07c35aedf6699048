package io.apilb.balancing;

/**
 * kube-apiserver's request classes, as its long-running check sees them: they decide timeouts,
 * balancing and retry rules.
 */
public enum RequestClass {
  /** Ordinary request with a total timeout. */
  SHORT("short"),
  /** watch, log?follow=true, proxy: a stream with no total timeout. */
  LONG_RUNNING("long_running"),
  /** exec, attach, portforward or any Connection: Upgrade request: a byte tunnel after 101. */
  UPGRADE("upgrade");

  private final String label;

  RequestClass(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  public boolean longRunning() {
    return this != SHORT;
  }
}
