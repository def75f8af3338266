/* Test hooks of CCodecs, not part of its API (fm_codecs.h). Swift tests reach them with
 * `import CCodecs.Testing`, an explicit submodule that nothing else imports. */
#ifndef FM_TESTING_H
#define FM_TESTING_H

/* The default PNG encoder writes Huffman codes two at a time from a table of byte pairs when no code
 * is longer than 13 bits, else one at a time; both write the same bits. 0 forces the second way in
 * every encoder of the process (ISA-L's literal codes have stopped at 13 bits on every picture
 * tried, so no real input reaches it); 1, the default, restores the rule. */
void fm_png_fast_use_pair_codes(int enabled);

#endif
