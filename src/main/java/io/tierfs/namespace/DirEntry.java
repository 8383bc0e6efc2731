package io.tierfs.namespace;

/** One name in a directory listing. */
public record DirEntry(byte[] name, long ino, int type) {
}
