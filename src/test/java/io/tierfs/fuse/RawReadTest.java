package io.tierfs.fuse;

import static io.tierfs.nativeio.Memory.IO;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads answered from the raw request, with a pipe standing in for the FUSE device: the framing of
 * the reply and the errors the adapter answers without libfuse. (Every read through a mount in
 * the native suites takes this path with data.)
 */
class RawReadTest {
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
    private final NativeBuffer request = new NativeBuffer(80);
    private final NativeBuffer answer = new NativeBuffer(4096);

    @BeforeEach
    void setUp() throws IOException {
        meta = new RocksMetadataStore(dir.resolve("meta"));
        Tier[] tiers = {new DirectoryTier("ssd", dir.resolve("ssd"), BS, 0)};
        blocks = new BlockStore(BS, tiers, meta);
        Inodes inodes = new Inodes(meta, blocks);
        inodes.format(0, 0);
        adapter = new FuseAdapter(inodes, new Namespace(inodes), new FileOps(inodes), new Xattrs(inodes), blocks,
            () -> new long[] {0, 0});
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

    /** A FUSE_READ as the kernel frames it: fuse_in_header, then fuse_read_in. */
    private long readRequest(long fh, long offset, int size) {
        IO.setMemory(request.address, request.size, (byte) 0);
        IO.putInt(request.address, request.size);
        IO.putInt(request.address + 4, RawRead.FUSE_READ);
        IO.putLong(request.address + 8, UNIQUE);
        IO.putLong(request.address + 40, fh);
        IO.putLong(request.address + 48, offset);
        IO.putInt(request.address + 56, size);
        return request.address;
    }

    /** Reads one reply off the pipe; returns its length. */
    private int takeReply() {
        long n = LibC.INSTANCE.read(readEnd, answer.address, answer.size);
        assertTrue(n >= RawRead.OUT_HEADER, "a reply was written: " + n);
        assertEquals(n, IO.getInt(answer.address), "the header's length is the reply's");
        assertEquals(UNIQUE, IO.getLong(answer.address + 8), "the reply names the request");
        return (int) n;
    }

    @Test
    void requestFieldsAreReadWhereTheKernelPutsThem() {
        long r = readRequest(7, 1L << 40, 0x80000000);
        assertTrue(RawRead.isRead(r));
        assertEquals(7, RawRead.fh(r));
        assertEquals(1L << 40, RawRead.offset(r));
        assertEquals(0x80000000L, RawRead.size(r), "size is unsigned");
        IO.putInt(r + 4, 16);
        assertTrue(!RawRead.isRead(r), "a write is not a read");
    }

    @Test
    void dataFollowsTheHeaderAndAnErrorIsTheHeaderAlone() {
        long r = readRequest(1, 0, 5);
        try (NativeBuffer reply = new NativeBuffer(RawRead.OUT_HEADER + 5)) {
            IO.putByteArray(reply.address + RawRead.OUT_HEADER, "hello".getBytes(), 0, 5);
            RawRead.reply(writeEnd, r, reply.address, 5, 0);
            assertEquals(RawRead.OUT_HEADER + 5, takeReply());
            assertEquals(0, IO.getInt(answer.address + 4));
            byte[] data = new byte[5];
            IO.getByteArray(answer.address + RawRead.OUT_HEADER, data, 0, 5);
            assertEquals("hello", new String(data));

            RawRead.reply(writeEnd, r, reply.address, 5, Errno.EIO);
            assertEquals(RawRead.OUT_HEADER, takeReply(), "no data after an error");
            assertEquals(-Errno.EIO, IO.getInt(answer.address + 4));
        }
    }

    @Test
    void anUnknownHandleIsEbadfAndADrainingVolumeAnswersEnotconn() throws InterruptedException {
        FuseWorker worker = new FuseWorker(null, adapter, 0, channel, 4096);
        adapter.read(worker, readRequest(12345, 0, 4096), writeEnd);
        assertEquals(RawRead.OUT_HEADER, takeReply());
        assertEquals(-Errno.EBADF, IO.getInt(answer.address + 4));

        assertTrue(adapter.drain(1000), "nothing is in flight");
        adapter.read(worker, readRequest(12345, 0, 4096), writeEnd);
        assertEquals(RawRead.OUT_HEADER, takeReply());
        assertEquals(-Errno.ENOTCONN, IO.getInt(answer.address + 4));
    }
}
