package io.tierfs.codec;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The headers of formats that are compressed already, where a second compression only spends
 * CPU: archives (gzip, zip and its jar/docx/apk children, zstd, xz, bzip2, 7z, lz4, rar), images
 * (JPEG, PNG, GIF, WebP, HEIF/AVIF), audio and video (MP4/MOV, Matroska/WebM, MP3, Ogg, FLAC, AVI).
 */
final class MagicNumbers {
    private static final byte[][] AT_START = {
        {0x1f, (byte) 0x8b},                                    // gzip
        {'P', 'K', 3, 4}, {'P', 'K', 5, 6}, {'P', 'K', 7, 8},   // zip, jar, docx, apk
        {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd},                 // zstd
        {(byte) 0xfd, '7', 'z', 'X', 'Z', 0},                   // xz
        {'B', 'Z', 'h'},                                        // bzip2
        {'7', 'z', (byte) 0xbc, (byte) 0xaf, 0x27, 0x1c},       // 7z
        {0x04, 0x22, 0x4d, 0x18},                               // lz4 frame
        {'R', 'a', 'r', '!', 0x1a, 0x07},                       // rar
        {(byte) 0xff, (byte) 0xd8, (byte) 0xff},                // JPEG
        {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},   // PNG
        {'G', 'I', 'F', '8'},                                   // GIF87a, GIF89a
        {0x1a, 0x45, (byte) 0xdf, (byte) 0xa3},                 // Matroska, WebM
        {'I', 'D', '3'},                                        // MP3 with an ID3 tag
        {'O', 'g', 'g', 'S'},                                   // Ogg
        {'f', 'L', 'a', 'C'},                                   // FLAC
    };

    private MagicNumbers() {
    }

    /** Whether {@code head} (a file's first bytes, from position 0) starts a compressed format. */
    static boolean compressedFormat(ByteBuffer head) {
        for (byte[] magic : AT_START) {
            if (startsWith(head, 0, magic)) {
                return true;
            }
        }
        // ISO media (MP4, MOV, HEIF, AVIF): a box of type ftyp first
        if (startsWith(head, 4, ascii("ftyp"))) {
            return true;
        }
        // RIFF: WebP and AVI are compressed; WAVE is usually PCM, left to the sample
        if (startsWith(head, 0, ascii("RIFF")) && (startsWith(head, 8, ascii("WEBP")) || startsWith(head, 8, ascii("AVI ")))) {
            return true;
        }
        // an MPEG audio frame without a tag: 11 sync bits, then layer bits other than 00
        return head.limit() >= 2 && (head.get(0) & 0xff) == 0xff && (head.get(1) & 0xe0) == 0xe0
            && (head.get(1) & 0x06) != 0;
    }

    private static boolean startsWith(ByteBuffer b, int at, byte[] magic) {
        if (b.limit() < at + magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (b.get(at + i) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
