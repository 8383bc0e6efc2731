package io.tierfs.codec;

import java.nio.ByteBuffer;

/** Whether a window of bytes reads as text: UTF-8 without control bytes other than tab, newline, carriage return and form feed. */
final class Utf8 {
    private Utf8() {
    }

    /**
     * Whether bytes [start, end) of {@code b} are text. A multi-byte sequence cut by either edge of
     * the window is allowed (the window is a sample out of a longer text).
     */
    static boolean isText(ByteBuffer b, int start, int end) {
        int i = start;
        while (i < end && (b.get(i) & 0xc0) == 0x80) {
            i++; // the tail of a sequence that began before the window
        }
        while (i < end) {
            int c = b.get(i) & 0xff;
            if (c < 0x80) {
                if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f) {
                    return false;
                }
                i++;
                continue;
            }
            int more = c >= 0xf0 ? (c <= 0xf4 ? 3 : -1) : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : -1;
            if (more < 0) {
                return false;
            }
            for (int k = 1; k <= more; k++) {
                if (i + k >= end) {
                    return true; // cut by the window's end
                }
                if ((b.get(i + k) & 0xc0) != 0x80) {
                    return false;
                }
            }
            i += more + 1;
        }
        return true;
    }
}
