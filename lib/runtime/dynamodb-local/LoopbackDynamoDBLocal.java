/*
 * Starts AWS's DynamoDB Local listening on 127.0.0.1 only (lib/runtime/local-servers.ts compiles
 * this file at first use, with DynamoDBLocal.jar on the class path, and runs it instead of the jar).
 *
 * DynamoDB Local has no listen-address option: its DynamoDBProxyServer builds a Jetty server with
 * `new Server(port)`, whose connector binds every interface. So this builds the server the way the
 * jar's own main does (ServerRunner.createServerFromCommandLineArgs, same arguments), takes its
 * private Jetty `server` field, and before starting it:
 *   - binds each ServerConnector to 127.0.0.1;
 *   - answers 403 to a request whose Host is not 127.0.0.1, localhost or [::1] (with any port):
 *     a web page whose own name an attacker points at 127.0.0.1 (DNS rebinding) is "same origin"
 *     for the browser, so CORS does not stop it; the Host it sends is its own name.
 * It also exits when its standard input closes: the Node process that started it has gone,
 * however it went, and must not leave a database server behind.
 */
import java.io.IOException;
import java.lang.reflect.Field;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDBLocal {
  private static final String LOOPBACK = "127.0.0.1";

  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    int bound = 0;
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) {
        ((ServerConnector) connector).setHost(LOOPBACK);
        bound++;
      }
    }
    if (bound == 0) throw new IllegalStateException("no Jetty ServerConnector found to bind to " + LOOPBACK);
    server.setHandler(new LocalHostOnly(server.getHandler()));
    proxy.start();
    System.out.println("Waymark: DynamoDB Local listening on " + LOOPBACK + " only");
    exitWhenParentGoes();
  }

  private static void exitWhenParentGoes() {
    Thread watcher = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // nothing is ever sent: only the end of the stream matters
        }
      } catch (IOException ignored) {
        // a broken pipe means the same: the parent has gone
      }
      System.exit(0);
    }, "waymark-parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }

  static boolean isLocalHost(String host) {
    if (host == null) return false;
    String name = host.toLowerCase();
    if (name.startsWith("[::1]")) return name.length() == 5 || name.charAt(5) == ':';
    int colon = name.indexOf(':');
    if (colon >= 0) name = name.substring(0, colon);
    return name.equals("127.0.0.1") || name.equals("localhost");
  }

  static final class LocalHostOnly extends Handler.Wrapper {
    LocalHostOnly(Handler handler) {
      super(handler);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      if (isLocalHost(request.getHeaders().get(HttpHeader.HOST))) return super.handle(request, response, callback);
      Response.writeError(request, response, callback, 403, "DynamoDB Local (waymark dev) answers only requests for 127.0.0.1, localhost or [::1]");
      return true;
    }
  }
}
