"""Makes DejaVuSans-featmap.ttf, the font featmap draws its pictures with, from Debian's
fonts-dejavu-core (DejaVu Sans 2.37): the glyphs for ASCII, Latin-1, Greek, punctuation,
super- and subscripts, arrows, mathematical operators and block elements, hinting kept.
Subsetting keeps the binary small (the whole font is 740 KB). Run from this folder:
    pip install fonttools && python3 subset_font.py
The licence is in LICENSE-DejaVu.txt (Bitstream Vera and Arev terms; the font keeps its name,
which the terms allow because it contains neither "Bitstream" nor "Vera")."""
from fontTools import subset

SOURCE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
RANGES = [(0x20, 0x7E), (0xA0, 0xFF), (0x370, 0x3FF), (0x2000, 0x206F), (0x2070, 0x209F),
          (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2580, 0x259F), (0xFFFD, 0xFFFD)]

options = subset.Options()
options.hinting = True
options.layout_features = ["kern", "liga"]
options.name_IDs = ["*"]
options.notdef_outline = True
font = subset.load_font(SOURCE, options)
subsetter = subset.Subsetter(options)
subsetter.populate(unicodes=[u for a, b in RANGES for u in range(a, b + 1)])
subsetter.subset(font)
subset.save_font(font, "DejaVuSans-featmap.ttf", options)
