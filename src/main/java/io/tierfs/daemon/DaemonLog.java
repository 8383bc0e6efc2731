package io.tierfs.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.FileHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** The daemon logs to {@code DATA/tierfs.log}, one line a record. */
public final class DaemonLog {
    /**
     * Chronicle Map's own log (through SLF4J) at INFO is banners and advertising; its warnings
     * stay. Held here: java.util.logging keeps loggers only weakly. Made in {@link #install},
     * after the log manager is chosen (a logger made earlier would start the JDK's own, whose
     * shutdown hook closes the log before the daemon's last lines).
     */
    private static Logger chronicle;

    private DaemonLog() {
    }

    /**
     * The JDK's LogManager closes every handler from its own shutdown hook, racing the daemon's
     * shutdown, whose last lines would be lost. This one leaves the handlers to {@link #flush}.
     * Installed by {@link #install} before the first logger exists.
     */
    public static final class Manager extends java.util.logging.LogManager {
        @Override
        public void reset() {
            // Handlers stay open until the process ends; the daemon flushes them last.
        }
    }

    public static void install() {
        System.setProperty("java.util.logging.manager", Manager.class.getName());
        chronicle = Logger.getLogger("net.openhft");
        chronicle.setLevel(Level.WARNING);
    }

    public static void toFile(Path file) throws IOException {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        FileHandler handler = new FileHandler(file.toString(), 10 << 20, 1, true);
        handler.setFormatter(new SimpleFormatter());
        root.addHandler(handler);
    }

    public static void flush() {
        for (Handler h : Logger.getLogger("").getHandlers()) {
            h.flush();
        }
    }
}
