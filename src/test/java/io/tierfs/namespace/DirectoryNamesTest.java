package io.tierfs.namespace;

import static io.tierfs.namespace.TestVolume.n;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DirectoryNamesTest {
    private static final long UNKNOWN = DirectoryNames.UNKNOWN;

    @Test
    void onlyADirectoryBornHereIsAnsweredAndItsNamesAreComparedByValue() {
        DirectoryNames names = new DirectoryNames(100);
        assertEquals(UNKNOWN, names.find(5, n("a")), "a directory made before the mount is not held");
        assertNull(names.isEmpty(5));
        names.added(5, n("a"), 9);
        assertEquals(UNKNOWN, names.find(5, n("a")), "adding to a directory not held holds nothing");

        names.born(7);
        assertEquals(0, names.find(7, n("a")), "a new directory has no name");
        assertTrue(names.isEmpty(7));
        names.added(7, n("a"), 11);
        assertEquals(11, names.find(7, n("a")), "another array with the same bytes finds it");
        assertFalse(names.isEmpty(7));
        names.added(7, n("a"), 12); // a rename over the name
        assertEquals(12, names.find(7, n("a")));
        assertEquals(1, names.held(), "a name pointed elsewhere is counted once");
        names.removed(7, n("a"));
        assertEquals(0, names.find(7, n("a")));
        assertEquals(0, names.held());
        names.removed(7, n("a"));
        assertEquals(0, names.held(), "removing a name not there changes no count");
    }

    @Test
    void aDirectoryForgottenOrPastTheBudgetIsAskedOfTheStoreAndItsNamesNoLongerCount() {
        DirectoryNames names = new DirectoryNames(3);
        names.born(7);
        names.born(8);
        names.added(7, n("a"), 11);
        names.added(7, n("b"), 12);
        names.added(8, n("c"), 13);
        assertEquals(3, names.held());
        names.added(8, n("d"), 14);
        assertEquals(UNKNOWN, names.find(8, n("c")), "the directory that would pass the budget leaves");
        assertEquals(UNKNOWN, names.find(8, n("d")));
        assertEquals(2, names.held(), "its names no longer count");
        assertEquals(12, names.find(7, n("b")), "the others stay");

        names.forget(7);
        assertEquals(UNKNOWN, names.find(7, n("a")));
        assertEquals(0, names.held());
        names.added(7, n("e"), 15);
        names.removed(7, n("a"));
        assertEquals(UNKNOWN, names.find(7, n("e")), "a directory that left never comes back");
        assertEquals(0, names.held());
    }
}
