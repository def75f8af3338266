#include <stddef.h>
#include <stdint.h>
/* Runs libFuzzer with the program's arguments; returns its exit status. */
int featmap_fuzz_run_driver(int argc, char **argv);
