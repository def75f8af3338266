#!/usr/bin/env python3
"""Makes the small hand-checkable fixtures of the CLI tests (Tests/FeatMapCLITests/Fixtures).

tiny4x4.png: the 4×4 example of the foundation issue, 8-bit grey, written by Pillow.
    [[1,2,3,4],[5,6,7,8],[9,1,2,3],[4,5,6,7]]
    correlated with [[1,0,-1],[2,0,-2],[1,0,-1]] (valid) = [[1,-8],[10,-8]] (worked by hand in the test).
"""
import os
import numpy as np
from PIL import Image

here = os.path.join(os.path.dirname(__file__), "..", "FeatMapCLITests", "Fixtures")
a = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 1, 2, 3], [4, 5, 6, 7]], dtype=np.uint8)
Image.fromarray(a, mode="L").save(os.path.join(here, "tiny4x4.png"))
