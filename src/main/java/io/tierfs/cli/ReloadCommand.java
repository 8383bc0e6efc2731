package io.tierfs.cli;

import io.tierfs.nativeio.LibC;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** `tierfs reload`: the daemon reads its config file's alert rules again, without unmounting. */
@Command(name = "reload", mixinStandardHelpOptions = true,
    description = "Have the volume's daemon read its config file again (as SIGHUP does): changed, added and removed"
        + " alert rules take effect at once; a file with a bad rule is refused and the running rules are kept."
        + " Other options need a remount.")
public final class ReloadCommand implements Callable<Integer> {
    private static final long WAIT_MILLIS = 10_000;

    @Mixin
    MountedVolume volume;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> state = volume.state();
        if (state == null) {
            return 1;
        }
        long asked = System.currentTimeMillis();
        int pid = ((Number) state.get("pid")).intValue();
        if (LibC.INSTANCE.kill(pid, LibC.SIGHUP) != 0) {
            System.err.println("tierfs: cannot signal daemon " + pid + ": errno " + LibC.errno());
            return 1;
        }
        long deadline = asked + WAIT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
            state = volume.state();
            Map<?, ?> reload = state == null ? null : (Map<?, ?>) state.get("reload");
            if (reload != null && ((Number) reload.get("atMillis")).longValue() >= asked) {
                boolean ok = Boolean.TRUE.equals(reload.get("ok"));
                if (volume.json) {
                    System.out.println(com.fasterxml.jackson.jr.ob.JSON.std.asString(reload));
                } else {
                    (ok ? System.out : System.err).println((ok ? "reloaded: " : "tierfs: reload ") + reload.get("message"));
                }
                return ok ? 0 : 1;
            }
        }
        System.err.println("tierfs: daemon " + pid + " did not answer the reload within " + WAIT_MILLIS / 1000 + " s");
        return 1;
    }
}
