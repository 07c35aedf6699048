package io.apilb.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Pod subresources: {@code exec}, {@code attach}, {@code portforward} (upgrades) and {@code log}.
 *
 * <p>Upgrade negotiation follows the real apiserver and kubelet:
 * <ul>
 *   <li>WebSocket ({@code Upgrade: websocket}): the first offered {@code Sec-WebSocket-Protocol}
 *       the server supports wins (exec/attach: {@code v5.channel.k8s.io}, {@code v4.channel.k8s.io};
 *       port-forward: {@code SPDY/3.1+portforward.k8s.io}, {@code v4.channel.k8s.io}); others, such
 *       as the {@code base64url.bearer.authorization.k8s.io.} token, are skipped. No match: 400
 *       with a Status body, which is the "upgrade failure" that makes kubectl fall back to SPDY.
 *   <li>SPDY ({@code Upgrade: SPDY/3.1}): the first offered {@code X-Stream-Protocol-Version} the
 *       server supports (exec/attach: v4, v3, v2, {@code channel.k8s.io}; port-forward:
 *       {@code portforward.k8s.io}); answered 101 with {@code X-Stream-Protocol-Version}. None
 *       offered: 400; no match: 403 with one {@code X-Accepted-Stream-Protocol-Versions} line per
 *       supported version.
 *   <li>Without an upgrade: 400 "Upgrade request required".
 * </ul>
 */
final class PodRoutes {
  static final List<String> WS_EXEC = List.of("v5.channel.k8s.io", "v4.channel.k8s.io");
  static final List<String> WS_PORTFORWARD = List.of("SPDY/3.1+portforward.k8s.io", "v4.channel.k8s.io");
  static final List<String> SPDY_EXEC = List.of("v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io",
      "channel.k8s.io");
  static final List<String> SPDY_PORTFORWARD = List.of("portforward.k8s.io");

  private PodRoutes() {}

  /** Adds the pod subresources to the {@code /api/v1} resource list. */
  static void addDiscovery(ArrayNode resources) {
    for (String[] sub : new String[][] {
        {"pods/attach", "PodAttachOptions", "create,get"}, {"pods/exec", "PodExecOptions", "create,get"},
        {"pods/log", "Pod", "get"}, {"pods/portforward", "PodPortForwardOptions", "create,get"}}) {
      ObjectNode r = resources.addObject();
      r.put("name", sub[0]).put("singularName", "").put("namespaced", true).put("kind", sub[1]);
      ArrayNode verbs = r.putArray("verbs");
      for (String v : sub[2].split(",")) {
        verbs.add(v);
      }
    }
  }

  /** Routes {@code /api/v1/namespaces/{ns}/pods/{name}/{sub}}: a Response or a {@link PodStream}. */
  static Object subresource(SimulatedApiserver server, String method, String ns, String name, String sub,
      QueryStringDecoder q, HttpHeaders headers) {
    if (!List.of("exec", "attach", "portforward", "log").contains(sub)) {
      throw ApiException.pathNotFound();
    }
    ObjectNode pod = server.cluster().get(ResourceKind.PODS, ns, name)
        .orElseThrow(() -> ApiException.notFound(ResourceKind.PODS, name));
    List<String> containers = new ArrayList<>();
    for (JsonNode c : pod.path("spec").path("containers")) {
      containers.add(c.path("name").asText());
    }
    String container = ApiRoutes.param(q, "container");
    if (container == null || container.isEmpty()) {
      container = containers.get(0);
    } else if (!containers.contains(container)) {
      throw ApiException.badRequest("container " + container + " is not valid for pod " + name);
    }
    if (sub.equals("log")) {
      if (!method.equals("GET")) {
        throw ApiException.methodNotAllowed();
      }
      if ("true".equals(ApiRoutes.param(q, "follow"))) {
        return new LogStream(name, container);
      }
      StringBuilder b = new StringBuilder();
      for (int i = 1; i <= LogStream.HISTORY; i++) {
        b.append(LogStream.line(name, container, i));
      }
      return new ApiRoutes.Response(HttpResponseStatus.OK, "text/plain",
          b.toString().getBytes(StandardCharsets.UTF_8), List.of());
    }
    if (!method.equals("GET") && !method.equals("POST")) {
      throw ApiException.methodNotAllowed();
    }
    if (!isUpgrade(headers)) {
      throw ApiException.badRequest("Upgrade request required");
    }
    List<String> command = q.parameters().getOrDefault("command", List.of());
    boolean stdin = flag(q, "stdin");
    boolean stdout = flag(q, "stdout");
    boolean stderr = flag(q, "stderr");
    boolean tty = flag(q, "tty");
    List<Integer> ports = new ArrayList<>();
    if (sub.equals("exec") && command.isEmpty()) {
      throw ApiException.badRequest("you must specify at least 1 command");
    }
    if (!sub.equals("portforward") && !stdin && !stdout && !stderr) {
      throw ApiException.badRequest("you must specify at least one of stdin, stdout, stderr");
    }
    if (sub.equals("portforward")) {
      for (String p : q.parameters().getOrDefault("ports", List.of())) {
        for (String one : p.split(",")) {
          try {
            ports.add(Integer.parseInt(one.trim()));
          } catch (NumberFormatException e) {
            throw ApiException.badRequest("unable to parse \"" + one + "\" as a port");
          }
        }
      }
    }
    String upgrade = headers.get(HttpHeaderNames.UPGRADE, "").toLowerCase(Locale.ROOT);
    List<String> execCommand = sub.equals("exec") ? command : List.of();
    if (upgrade.contains("websocket")) {
      if (server.faults().rejectingWebSocketStreams()) {
        throw ApiException.badRequest("unable to upgrade: WebSocket streams are not enabled on this server");
      }
      List<String> supported = sub.equals("portforward") ? WS_PORTFORWARD : WS_EXEC;
      List<String> offered = split(headers.getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL));
      String chosen = offered.stream().filter(supported::contains).findFirst().orElse(null);
      if (chosen == null) {
        throw ApiException.badRequest("unable to upgrade: requested protocol(s) are not supported: " + offered
            + "; supports " + supported);
      }
      return (PodStream) (ctx, r, common, onEnd) -> {
        StreamSession rec = server.recordings().newStreamSession(sub, "websocket", chosen, execCommand);
        if (!webSocketHandshake(ctx, r, common, chosen)) {
          return;
        }
        onEnd.run();
        ChannelPipeline p = ctx.pipeline();
        String at = ctx.name();
        if (sub.equals("portforward") && chosen.startsWith("SPDY/3.1+")) {
          p.addBefore(at, "ws-bytes", new WebSocketBytes());
          p.addBefore(at, "spdy", new SpdyFrameCodec(SpdyVersion.SPDY_3_1, false));
          p.addBefore(at, "pod-stream", SpdySession.portForward(rec));
        } else if (sub.equals("portforward")) {
          p.addBefore(at, "pod-stream", WebSocketChannels.portForward(rec, ports));
        } else {
          ExecCommand cmd = sub.equals("exec") ? new ExecCommand(command, rec) : ExecCommand.attach(rec);
          p.addBefore(at, "pod-stream", WebSocketChannels.exec(rec, cmd, chosen.startsWith("v5.")));
        }
      };
    }
    if (upgrade.contains("spdy/3.1")) {
      List<String> supported = sub.equals("portforward") ? SPDY_PORTFORWARD : SPDY_EXEC;
      List<String> offered = split(headers.getAll("X-Stream-Protocol-Version"));
      if (offered.isEmpty()) {
        return text(400, "unable to upgrade: X-Stream-Protocol-Version is required", List.of());
      }
      String chosen = offered.stream().filter(supported::contains).findFirst().orElse(null);
      if (chosen == null) {
        List<Map.Entry<String, String>> accepted = new ArrayList<>();
        supported.forEach(s -> accepted.add(Map.entry("X-Accepted-Stream-Protocol-Versions", s)));
        return text(403, "unable to upgrade: unable to negotiate protocol: client supports " + offered
            + ", server accepts " + supported, accepted);
      }
      return (PodStream) (ctx, r, common, onEnd) -> {
        StreamSession rec = server.recordings().newStreamSession(sub, "spdy", chosen, execCommand);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS,
            Unpooled.EMPTY_BUFFER);
        res.headers().add(common);
        res.headers().set(HttpHeaderNames.CONNECTION, "Upgrade").set(HttpHeaderNames.UPGRADE, "SPDY/3.1")
            .set("X-Stream-Protocol-Version", chosen);
        ctx.writeAndFlush(res);
        onEnd.run();
        ChannelPipeline p = ctx.pipeline();
        ChannelHandler codec = p.get(HttpServerCodec.class);
        if (codec != null) {
          p.remove(codec);
        }
        String at = ctx.name();
        p.addBefore(at, "spdy", new SpdyFrameCodec(SpdyVersion.SPDY_3_1, false));
        if (sub.equals("portforward")) {
          p.addBefore(at, "pod-stream", SpdySession.portForward(rec));
        } else {
          ExecCommand cmd = sub.equals("exec") ? new ExecCommand(command, rec) : ExecCommand.attach(rec);
          p.addBefore(at, "pod-stream", SpdySession.exec(rec, cmd, chosen, stdin, stdout, stderr && !tty));
        }
      };
    }
    throw ApiException.badRequest("unable to upgrade: unsupported protocol \"" + upgrade + "\"");
  }

  private static boolean webSocketHandshake(ChannelHandlerContext ctx, HttpRequest r, HttpHeaders common,
      String protocol) {
    FullHttpRequest full = new DefaultFullHttpRequest(r.protocolVersion(), r.method(), r.uri(),
        Unpooled.EMPTY_BUFFER, r.headers().copy(), EmptyHttpHeaders.INSTANCE);
    try {
      WebSocketServerHandshaker hs = new WebSocketServerHandshakerFactory(
          "wss://" + r.headers().get(HttpHeaderNames.HOST, "localhost") + r.uri(), protocol, false, 1 << 24)
          .newHandshaker(full);
      if (hs == null) {
        WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
        return false;
      }
      hs.handshake(ctx.channel(), full, common, ctx.newPromise());
      return true;
    } finally {
      full.release();
    }
  }

  static boolean isUpgrade(HttpHeaders headers) {
    for (String v : headers.getAll(HttpHeaderNames.CONNECTION)) {
      if (v.toLowerCase(Locale.ROOT).contains("upgrade")) {
        return true;
      }
    }
    return false;
  }

  private static ApiRoutes.Response text(int code, String body, List<Map.Entry<String, String>> headers) {
    return new ApiRoutes.Response(HttpResponseStatus.valueOf(code), "text/plain; charset=utf-8",
        (body + "\n").getBytes(StandardCharsets.UTF_8), headers);
  }

  private static List<String> split(List<String> values) {
    List<String> out = new ArrayList<>();
    for (String v : values) {
      for (String p : v.split(",")) {
        if (!p.isBlank()) {
          out.add(p.trim());
        }
      }
    }
    return out;
  }

  private static boolean flag(QueryStringDecoder q, String name) {
    String v = ApiRoutes.param(q, name);
    return v != null && (v.equals("true") || v.equals("1"));
  }
}
