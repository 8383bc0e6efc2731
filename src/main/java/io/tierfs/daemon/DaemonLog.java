package io.tierfs.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.FileHandler;
import java.util.logging.Handler;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** The daemon logs to {@code DATA/tierfs.log}, one line a record. */
final class DaemonLog {
    private DaemonLog() {
    }

    static void toFile(Path file) throws IOException {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        FileHandler handler = new FileHandler(file.toString(), 10 << 20, 1, true);
        handler.setFormatter(new SimpleFormatter());
        root.addHandler(handler);
    }

    static void flush() {
        for (Handler h : Logger.getLogger("").getHandlers()) {
            h.flush();
        }
    }
}
