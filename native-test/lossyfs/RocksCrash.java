import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * RocksDB workload and checker for lossyfs's selftest.sh (run with the
 * source launcher: java -cp rocksdbjni.jar RocksCrash.java ...).
 *
 *   write DIR ACKFILE   puts keys 0,1,2,... with small memtables and a small
 *                       max manifest size (flushes, compactions, MANIFEST
 *                       switches through CURRENT renames); every 4th put is a
 *                       sync write, after which its key is appended to ACKFILE
 *   verify DIR ACKED    reopens the DB (recovery) and checks that the keys
 *                       present are exactly 0..K for some K >= ACKED, each
 *                       with its value
 */
public class RocksCrash {
    static byte[] key(long i) {
        return String.format("k%012d", i).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] value(long i) {
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 300) sb.append("value-").append(i).append('-');
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static Options options() {
        return new Options()
                .setCreateIfMissing(true)
                .setWriteBufferSize(256 * 1024)
                .setLevel0FileNumCompactionTrigger(2)
                .setTargetFileSizeBase(256 * 1024)
                .setMaxBytesForLevelBase(1024 * 1024)
                .setMaxManifestFileSize(32 * 1024);
    }

    public static void main(String[] args) throws Exception {
        RocksDB.loadLibrary();
        if (args[0].equals("write")) {
            try (Options o = options();
                 RocksDB db = RocksDB.open(o, args[1]);
                 WriteOptions sync = new WriteOptions().setSync(true);
                 WriteOptions nosync = new WriteOptions().setSync(false);
                 FileOutputStream ack = new FileOutputStream(args[2], true)) {
                for (long i = 0; ; i++) {
                    boolean s = i % 4 == 3;
                    db.put(s ? sync : nosync, key(i), value(i));
                    if (s) ack.write((i + "\n").getBytes(StandardCharsets.US_ASCII));
                }
            }
        } else {
            long acked = Long.parseLong(args[2]);
            try (Options o = options(); RocksDB db = RocksDB.open(o, args[1]);
                 RocksIterator it = db.newIterator()) {
                long expect = 0;
                for (it.seekToFirst(); it.isValid(); it.next(), expect++) {
                    if (!java.util.Arrays.equals(it.key(), key(expect))) {
                        System.err.println("gap: expected " + new String(key(expect)) + " got " + new String(it.key()));
                        System.exit(1);
                    }
                    if (!java.util.Arrays.equals(it.value(), value(expect))) {
                        System.err.println("bad value for " + expect);
                        System.exit(1);
                    }
                }
                it.status();
                System.out.println("recovered keys 0.." + (expect - 1) + ", acknowledged " + acked);
                if (expect - 1 < acked) {
                    System.err.println("lost acknowledged writes");
                    System.exit(1);
                }
            }
        }
    }
}
