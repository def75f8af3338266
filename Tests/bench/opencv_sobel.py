"""The OpenCV peer: Sobel x and y in float, gradient magnitude, saturated to 8 bits, PNG."""
import sys
import cv2
import numpy as np

img = cv2.imread(sys.argv[1], cv2.IMREAD_COLOR)
gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REPLICATE)
gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REPLICATE)
cv2.imwrite(sys.argv[2], np.clip(cv2.magnitude(gx, gy), 0, 255).astype(np.uint8))
