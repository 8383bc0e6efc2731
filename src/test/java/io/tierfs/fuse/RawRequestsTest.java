package io.tierfs.fuse;

import static io.tierfs.nativeio.Memory.IO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tierfs.block.BlockStore;
import io.tierfs.meta.RocksMetadataStore;
import io.tierfs.namespace.FileOps;
import io.tierfs.namespace.Inodes;
import io.tierfs.namespace.Namespace;
import io.tierfs.namespace.Xattrs;
import io.tierfs.nativeio.Errno;
import io.tierfs.nativeio.LibC;
import io.tierfs.testutil.NativeBuffer;
import io.tierfs.tier.DirectoryTier;
import io.tierfs.tier.Tier;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads and writes answered from the raw request, with a pipe standing in for the FUSE device: the
 * fields read from the request, the framing of the reply and the errors the adapter answers
 * without libfuse. (Every read and write through a mount in the native suites takes this path
 * with data; native-test/posix checks the privilege rules.)
 */
class RawRequestsTest {
    private static final int BS = 16 * 1024;
    private static final long UNIQUE = 0x1122334455667788L;

    @TempDir
    Path dir;
    private RocksMetadataStore meta;
    private BlockStore blocks;
    private FuseAdapter adapter;
    private final NativeBuffer fds = new NativeBuffer(8);
    private int readEnd, writeEnd;
    private long channel;
    private final NativeBuffer request = new NativeBuffer(80 + 16);
    private final NativeBuffer answer = new NativeBuffer(4096);

    @BeforeEach
    void setUp() throws IOException {
        meta = new RocksMetadataStore(dir.resolve("meta"));
        Tier[] tiers = {new DirectoryTier("ssd", dir.resolve("ssd"), BS, 0)};
        blocks = new BlockStore(BS, tiers, meta);
        Inodes inodes = new Inodes(meta, blocks);
        inodes.format(0, 0);
        Xattrs xattrs = new Xattrs(inodes);
        adapter = new FuseAdapter(inodes, new Namespace(inodes, xattrs), new FileOps(inodes), xattrs, blocks,
            () -> new long[] {0, 0}, new io.prometheus.metrics.model.registry.PrometheusRegistry(), false, 1);
        assertEquals(0, LibC.INSTANCE.pipe2(fds.address, LibC.O_CLOEXEC));
        readEnd = IO.getInt(fds.address);
        writeEnd = IO.getInt(fds.address + 4);
        channel = LibFuse.INSTANCE.fuse_kern_chan_new(writeEnd);
    }

    @AfterEach
    void tearDown() {
        LibFuse.INSTANCE.fuse_chan_destroy(channel); // closes writeEnd
        LibC.INSTANCE.close(readEnd);
        meta.close();
        blocks.close();
        fds.close();
        request.close();
        answer.close();
    }

    /** A FUSE_READ or FUSE_WRITE as the kernel frames it: fuse_in_header, then fuse_read_in or fuse_write_in. */
    private long request(int opcode, long fh, long offset, int size) {
        IO.setMemory(request.address, request.size, (byte) 0);
        IO.putInt(request.address, request.size);
        IO.putInt(request.address + 4, opcode);
        IO.putLong(request.address + 8, UNIQUE);
        IO.putInt(request.address + 24, 1000);
        IO.putInt(request.address + 28, 100);
        IO.putInt(request.address + 32, 4242);
        IO.putLong(request.address + 40, fh);
        IO.putLong(request.address + 48, offset);
        IO.putInt(request.address + 56, size);
        return request.address;
    }

    /** Reads one reply off the pipe; returns its length. */
    private int takeReply() {
        long n = LibC.INSTANCE.read(readEnd, answer.address, answer.size);
        assertTrue(n >= RawRequests.OUT_HEADER, "a reply was written: " + n);
        assertEquals(n, IO.getInt(answer.address), "the header's length is the reply's");
        assertEquals(UNIQUE, IO.getLong(answer.address + 8), "the reply names the request");
        return (int) n;
    }

    @Test
    void requestFieldsAreReadWhereTheKernelPutsThem() {
        long r = request(RawRequests.FUSE_READ, 7, 1L << 40, 0x80000000);
        assertEquals(RawRequests.FUSE_READ, RawRequests.opcode(r));
        assertEquals(7, RawRequests.fh(r));
        assertEquals(1L << 40, RawRequests.offset(r));
        assertEquals(0x80000000L, RawRequests.size(r), "size is unsigned");
        assertEquals(1000, RawRequests.callerUid(r));
        assertEquals(100, RawRequests.callerGid(r));
        assertEquals(4242, RawRequests.callerPid(r));
        assertEquals(r + 80, RawRequests.writeData(r), "a write's data follows fuse_write_in");
    }

    @Test
    void theKernelsKillFlagsMarkPrivilegeRequests() {
        long w = request(RawRequests.FUSE_WRITE, 1, 0, 1);
        assertEquals(Privileges.NONE, RawRequests.privilegeRequest(w));
        IO.putInt(w + 60, 4); // write_flags: FUSE_WRITE_KILL_SUIDGID
        assertEquals(Privileges.FLAGGED, RawRequests.privilegeRequest(w));
        assertFalse(RawRequests.isWriteBack(w));
        IO.putInt(w + 60, 1); // FUSE_WRITE_CACHE: the kernel writing back its dirty pages
        assertTrue(RawRequests.isWriteBack(w));
        assertEquals(Privileges.NONE, RawRequests.privilegeRequest(w));

        long s = request(RawRequests.FUSE_SETATTR, 0, 0, 0);
        IO.putInt(s + 40, 8); // valid: FATTR_FH alone
        assertEquals(Privileges.EMPTY_SETATTR, RawRequests.privilegeRequest(s));
        IO.putInt(s + 40, 0x400); // FATTR_CTIME alone: the writeback cache's kernel sends it with every setattr
        assertEquals(Privileges.EMPTY_SETATTR, RawRequests.privilegeRequest(s));
        IO.putInt(s + 40, 8 | 0x800); // FATTR_KILL_SUIDGID
        assertEquals(Privileges.FLAGGED, RawRequests.privilegeRequest(s));
        IO.putInt(s + 40, 8 | 1); // FATTR_MODE
        assertEquals(Privileges.NONE, RawRequests.privilegeRequest(s));
        IO.putInt(s + 4, RawRequests.FUSE_READ);
        assertEquals(Privileges.NONE, RawRequests.privilegeRequest(s), "a read never drops anything");
    }

    @Test
    void supplementaryGroupsAreThoseOfTheCallingThread() throws Exception {
        assumeTrue(LibC.INSTANCE.getuid() == 0, "setting a process's groups needs root");
        // a task name need not be UTF-8: this one ends inside a three-byte character
        String child = "import ctypes, time; ctypes.CDLL(None).prctl(15, b'tierfs-\\xe2\\x82', 0, 0, 0); "
            + "print('ready', flush=True); time.sleep(30)";
        Process p = new ProcessBuilder("setpriv", "--groups", "4321,4322", "python3", "-c", child).start();
        try {
            assertEquals("ready", new BufferedReader(new InputStreamReader(p.getInputStream())).readLine());
            int pid = (int) p.pid();
            assertTrue(Privileges.inSupplementaryGroups(pid, 4322));
            assertTrue(Privileges.inSupplementaryGroups(pid, 4321));
            assertFalse(Privileges.inSupplementaryGroups(pid, 4323));
        } finally {
            p.destroy();
            p.waitFor();
        }
        assertFalse(Privileges.inSupplementaryGroups((int) p.pid(), 4322), "a caller that is gone has no groups");
    }

    @Test
    void dataFollowsTheHeaderAndAnErrorIsTheHeaderAlone() {
        long r = request(RawRequests.FUSE_READ, 1, 0, 5);
        try (NativeBuffer reply = new NativeBuffer(RawRequests.OUT_HEADER + 5)) {
            IO.putByteArray(reply.address + RawRequests.OUT_HEADER, "hello".getBytes(), 0, 5);
            RawRequests.reply(writeEnd, r, reply.address, 5, 0);
            assertEquals(RawRequests.OUT_HEADER + 5, takeReply());
            assertEquals(0, IO.getInt(answer.address + 4));
            byte[] data = new byte[5];
            IO.getByteArray(answer.address + RawRequests.OUT_HEADER, data, 0, 5);
            assertEquals("hello", new String(data));

            RawRequests.reply(writeEnd, r, reply.address, 5, Errno.EIO);
            assertEquals(RawRequests.OUT_HEADER, takeReply(), "no data after an error");
            assertEquals(-Errno.EIO, IO.getInt(answer.address + 4));
        }
    }

    @Test
    void anUnknownHandleIsEbadfAndADrainingVolumeAnswersEnotconn() throws InterruptedException {
        FuseWorker worker = new FuseWorker(null, adapter, 0, channel, 4096);
        assertReadAndWriteFail(worker, Errno.EBADF);
        assertTrue(adapter.drain(1000), "nothing is in flight");
        assertReadAndWriteFail(worker, Errno.ENOTCONN);
    }

    @Test
    void anInterruptIsDeclinedWithEnosysSoTheKernelSendsNoMore() {
        FuseWorker worker = new FuseWorker(null, adapter, 0, channel, 4096);
        long interrupt = request(RawRequests.FUSE_INTERRUPT, 0, 0, 0);
        IO.putLong(interrupt + 8, UNIQUE | 1);  // FUSE_INT_REQ_BIT: the interrupt's own id
        IO.putLong(interrupt + 40, UNIQUE);     // fuse_interrupt_in: the request it interrupts
        IO.copyMemory(interrupt, worker.receiveBuffer, 48);
        worker.process(LibFuse.INSTANCE, 0, 48);
        long n = LibC.INSTANCE.read(readEnd, answer.address, answer.size);
        assertEquals(RawRequests.OUT_HEADER, n, "the header alone, as the kernel requires of an interrupt's answer");
        assertEquals(RawRequests.OUT_HEADER, IO.getInt(answer.address));
        assertEquals(-Errno.ENOSYS, IO.getInt(answer.address + 4));
        assertEquals(UNIQUE | 1, IO.getLong(answer.address + 8), "answered under the interrupt's id");
    }

    /** A read and a write on an unknown handle are each answered by the header alone, with {@code errno}. */
    private void assertReadAndWriteFail(FuseWorker worker, int errno) {
        adapter.read(worker, request(RawRequests.FUSE_READ, 12345, 0, 4096), writeEnd);
        assertEquals(RawRequests.OUT_HEADER, takeReply());
        assertEquals(-errno, IO.getInt(answer.address + 4), "read");
        adapter.write(worker, request(RawRequests.FUSE_WRITE, 12345, 0, 16), writeEnd);
        assertEquals(RawRequests.OUT_HEADER, takeReply());
        assertEquals(-errno, IO.getInt(answer.address + 4), "write");
    }
}
