package io.tierfs.codec;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;

/** Real samples of each content class, made in the test: text formats, compressed formats, random and binary bytes. */
public final class Samples {
    private Samples() {
    }

    /** {@code n} bytes of {@code unit} repeated with a counter, the way logs and tables repeat themselves. */
    private static byte[] repeat(int n, java.util.function.IntFunction<String> unit) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; b.length() < n; i++) {
            b.append(unit.apply(i));
        }
        return b.substring(0, n).getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] log(int n) {
        return repeat(n, i -> "2026-12-07T01:" + (i % 60) + ":" + (i * 7 % 60) + "Z INFO  [worker-" + (i % 8)
            + "] request " + i + " served in " + (i * 37 % 900) + " us (GET /api/v1/items/" + (i * 13) + ")\n");
    }

    public static byte[] json(int n) {
        return repeat(n, i -> "{\"id\": " + i + ", \"name\": \"item-" + i + "\", \"tags\": [\"a\", \"b\"], \"price\": "
            + (i * 3 % 1000) / 10.0 + ", \"in_stock\": " + (i % 3 == 0) + "},\n");
    }

    public static byte[] csv(int n) {
        return repeat(n, i -> i + "," + (i * 31 % 997) + ",station-" + (i % 40) + "," + (20 + i % 15) + ".5\n");
    }

    public static byte[] source(int n) {
        return repeat(n, i -> "    /** Returns the " + i + "th value. */\n    public int value" + i + "() {\n        return values["
            + i + "] * " + (i % 9) + ";\n    }\n\n");
    }

    /** Text in a script of 3-byte UTF-8 characters. */
    public static byte[] cjk(int n) {
        return repeat(n, i -> "分层文件系统把热数据放在内存里，把冷数据放在硬盘上。第" + i + "行。\n");
    }

    public static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Structured binary: little-endian records with small, repeating fields (what a database page looks like). */
    public static byte[] records(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i + 16 <= n; i += 16) {
            int r = i / 16;
            b[i] = (byte) r;
            b[i + 1] = (byte) (r >> 8);
            b[i + 4] = (byte) (r % 7);
            b[i + 8] = (byte) 0xff;
            b[i + 12] = (byte) (r * 3);
        }
        return b;
    }

    public static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(content);
        }
        return out.toByteArray();
    }

    public static byte[] zip(byte[] content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("data.json"));
            z.write(content);
        }
        return out.toByteArray();
    }

    /** A photo-like image (noise over gradients) in {@code format}: "jpg" or "png". */
    public static byte[] image(String format, int size) throws IOException {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(5);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                img.setRGB(x, y, ((x + r.nextInt(40)) & 0xff) << 16 | ((y + r.nextInt(40)) & 0xff) << 8 | r.nextInt(256));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, format, out);
        return out.toByteArray();
    }
}
