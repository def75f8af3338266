"""Makes Tests/FeatMapKitTests/Fixtures/pipeline/photo-rgba.png: photo.png (the 64×48 RGB crop of
chelsea.png, CC0) with an alpha channel that varies from row to row and column to column (the crop's
green channel turned upside down), so that a test can tell which row alpha was sampled from.
The other pipeline fixtures are copies of Tests/FeatMapCLITests/Fixtures/ok (codec_fixtures.py).

    python3 Tests/scripts/pipeline_fixtures.py
"""
import numpy as np
from PIL import Image

folder = "Tests/FeatMapKitTests/Fixtures/pipeline/"
rgb = np.array(Image.open(folder + "photo.png").convert("RGB"))
alpha = rgb[::-1, :, 1]
Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(folder + "photo-rgba.png")
