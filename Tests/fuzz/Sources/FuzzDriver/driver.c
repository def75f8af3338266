/* The program's entry point. SwiftPM links an executable target with main defined as
 * <module>_main (the Swift @main), so libFuzzer's own main (FuzzerMain.o) is never pulled in; this hands argv to
 * libFuzzer's driver with the harness the Swift code exports. */
#include "fuzz_driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int featmap_fuzz_run_driver(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
