"""The OpenCV peer of the large-kernel row: cv2.filter2D (which correlates through a DFT for kernels
this large) with the kernel of a featmap kernel file, replicated border, saturated to 8 bits, written
as JPEG at quality 92 (featmap's default).

    python3 opencv_filter2d.py KERNEL.txt INPUT OUTPUT.jpg
"""
import sys
import cv2
import numpy as np

rows = [line.split() for line in open(sys.argv[1]) if line.strip() and not line.lstrip().startswith("#")]
kernel = np.array(rows, dtype=np.float32)
img = cv2.imread(sys.argv[2], cv2.IMREAD_COLOR)
out = cv2.filter2D(img, -1, kernel, borderType=cv2.BORDER_REPLICATE)
cv2.imwrite(sys.argv[3], out, [cv2.IMWRITE_JPEG_QUALITY, 92])
