// The local MongoDB server for tests and the local stack: mongo-java-server with
// its in-memory backend and an oplog (change streams need one), on the loopback
// address and port given as arguments. Started by src/local/services/mongodb-local.ts.

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

public final class Launcher {
  public static void main(String[] args) {
    String host = args.length > 0 ? args[0] : "127.0.0.1";
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 27017;
    MemoryBackend backend = new MemoryBackend();
    // Without the oplog, watch() fails with "Unknown error: null".
    backend.enableOplog();
    MongoServer server = new MongoServer(backend);
    server.bind(host, port);
    System.out.println("mongo-java-server listening on " + host + ":" + port);
  }
}
