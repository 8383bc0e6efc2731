package io.tierfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class SizeConverterTest {

    @ParameterizedTest
    @CsvSource({
        "4096, 4096",
        "0, 0",
        "128K, 131072",
        "128k, 131072",
        "512M, 536870912",
        "20G, 21474836480",
        "1T, 1099511627776",
        "1GiB, 1073741824",
        "1gib, 1073741824",
        "64KiB, 65536",
        "2MB, 2097152",
        "' 8G ', 8589934592",
        "8388607T, 9223370937343148032",
    })
    void parsesSizesInPowersOf1024(String text, long expected) throws Exception {
        assertEquals(expected, SizeConverter.parse(text));
        assertEquals(expected, new SizeConverter().convert(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10XB", "-1", "", "  ", "K", "G", "1.5G", "12 G", "abc", "1P", "0x10", "8388608T",
        "9223372036854775808", "-5M"})
    void rejectsBadSizesWithAClearMessage(String text) {
        CommandLine.TypeConversionException e =
            assertThrows(CommandLine.TypeConversionException.class, () -> SizeConverter.parse(text));
        assertTrue(e.getMessage().contains("invalid size"), e.getMessage());
        assertTrue(e.getMessage().contains("'" + text + "'"), "names the bad input: " + e.getMessage());
    }
}
