package io.apilb.sim;

/** How a simulated watch writes its events (see {@link SimulatedApiserver#watchCount(WatchFraming)}). */
public enum WatchFraming {
  /** {@code application/json;stream=watch}: one JSON object and a newline per event. */
  JSON,
  /** {@code application/vnd.kubernetes.protobuf;stream=watch}: a 4-byte big-endian length, then a WatchEvent. */
  PROTOBUF,
  /** A watch upgraded to WebSocket: one message per event (text for JSON, binary for protobuf). */
  WEBSOCKET
}
