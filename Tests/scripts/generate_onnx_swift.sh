#!/bin/sh
# Regenerates Sources/FeatMapKit/Models/ONNX/onnx.pb.swift from ONNX's protobuf schema (proto2, Apache-2.0).
# Run once after changing the schema or the swift-protobuf version; the output is committed.
#
# Needs protoc (apt-get install protobuf-compiler) and swift-protobuf's plugin, built from the same
# swift-protobuf release the package resolves (1.39.0 when this was generated):
#   git clone --branch 1.39.0 https://github.com/apple/swift-protobuf /tmp/swpb
#   (cd /tmp/swpb && swift build -c release --product protoc-gen-swift)
# Usage: Tests/scripts/generate_onnx_swift.sh [path/to/onnx.proto]   (default ../shared/proto/onnx.proto)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
proto=${1:-$root/../shared/proto/onnx.proto}
plugin=${PROTOC_GEN_SWIFT:-/tmp/swpb/.build/release/protoc-gen-swift}
out=$root/Sources/FeatMapKit/Models/ONNX
mkdir -p "$out"
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$(dirname "$proto")" \
    --swift_opt=Visibility=Internal --swift_out="$out" "$(basename "$proto")"
echo "wrote $out/onnx.pb.swift"
