package io.tierfs.block;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tierfs.meta.Keys;
import io.tierfs.meta.RocksMetadataStore;
import io.tierfs.testutil.FaultyTier;
import io.tierfs.testutil.NativeBuffer;
import io.tierfs.tier.DirectoryTier;
import io.tierfs.tier.HotTier;
import io.tierfs.tier.Tier;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A block store of two directory tiers (each a {@link FaultyTier}) and a hot tier over a RocksDB
 * block map, a mover, and one open file: what the tests of moves and seals work on.
 */
abstract class BlockStoreFixture {
    static final int BS = 16 * 1024;
    static final long INO = 77;
    static final int SSD = 0, HDD = 1;

    @TempDir
    Path dir;
    RocksMetadataStore meta;
    BlockStore store;
    BlockMover mover;
    FileBlocks file;
    FaultyTier ssd;
    FaultyTier hdd;

    @BeforeEach
    void open() throws IOException {
        openStore();
    }

    void openStore() throws IOException {
        openStore(0);
    }

    /** @param hddCapacity the hdd tier's limit in bytes, 0 for its filesystem's size */
    void openStore(long hddCapacity) throws IOException {
        meta = new RocksMetadataStore(dir.resolve("meta"));
        ssd = new FaultyTier(new DirectoryTier("ssd", dir.resolve("ssd"), BS, 0));
        hdd = new FaultyTier(new DirectoryTier("hdd", dir.resolve("hdd"), BS, hddCapacity));
        Tier[] tiers = {ssd.tier(), hdd.tier()};
        store = new BlockStore(BS, tiers, new HotTier(dir.resolve("hot"), BS, 64L * BS), meta);
        mover = new BlockMover(store);
        file = store.open(INO, n -> { });
    }

    @AfterEach
    void close() {
        file.close();
        mover.close();
        store.close();
        meta.close();
    }

    void write(long offset, byte[] data) throws IOException {
        try (NativeBuffer b = NativeBuffer.of(data)) {
            file.write(offset, b.address, data.length);
        }
    }

    byte[] read(long offset, int length) throws IOException {
        try (NativeBuffer b = NativeBuffer.garbage(length)) {
            file.read(offset, b.address, length);
            return b.bytes();
        }
    }

    /**
     * With reads of hdd blocks kept in {@link FetchedBlocks}: writes {@code blocks} blocks of
     * pattern {@code seed} and moves block {@code onHdd} to hdd. Returns the bytes written.
     */
    byte[] blocksWithOneOnHdd(int seed, int blocks, long onHdd) throws IOException {
        store.keepFetchedBlocks(8L * BS);
        byte[] data = NativeBuffer.pattern(seed, blocks * BS);
        write(0, data);
        assertEquals(BS, mover.move(file, onHdd, HDD));
        return data;
    }

    int tierInStore(long index) {
        return BlockRef.decode(meta.get(Keys.block(INO, index))).tier();
    }
}
