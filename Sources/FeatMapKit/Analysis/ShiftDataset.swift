import CZlib
import Dispatch
import Foundation

/// A labelled image set for `featmap shift --dataset`, read in order a few hundred samples at a time so
/// that memory does not grow with its size:
/// - MNIST-style idx files (images magic 2051 [N, H, W] unsigned bytes, labels magic 2049 [N]), gzipped or not;
/// - an ImageFolder layout: one sub-folder per class (named by the class index, or by a class name of
///   the model, else numbered in sorted order), the images in it;
/// - a CSV of `path,label` (paths relative to the CSV's folder; a first line whose label is not a label is a header).
public final class LabelledImages: @unchecked Sendable {
    /// One sample before fitting: raw 8-bit grey pixels, or an image file to decode.
    public enum Raw: Sendable {
        case pixels([Float], height: Int, width: Int)
        case file(String)
    }

    public let count: Int
    public let description: String
    private var next: () throws -> [(Raw, Int)]

    private init(count: Int, description: String, next: @escaping () throws -> [(Raw, Int)]) {
        self.count = count; self.description = description; self.next = next
    }

    /// The next batch of at most `chunk` samples with their labels (empty at the end).
    public func nextChunk() throws -> [(Raw, Int)] { try next() }

    /// Opens IMAGES (and LABELS for idx files), checking headers, sizes and counts before anything runs.
    public static func open(images: String, labels: String?, classNames: [String]? = nil, chunk: Int = 256) throws -> LabelledImages {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: images, isDirectory: &isDirectory) else {
            throw ModelError.unreadable(file: images, reason: "does not exist; give idx files, an ImageFolder folder or a CSV of path,label")
        }
        if isDirectory.boolValue {
            if let labels { throw ModelError.badInput("\(labels): an ImageFolder folder (\(images)) carries its labels in its sub-folder names; leave --labels out") }
            return try folder(images, classNames: classNames, chunk: chunk)
        }
        if images.lowercased().hasSuffix(".csv") {
            if let labels { throw ModelError.badInput("\(labels): a CSV (\(images)) carries its labels in its second column; leave --labels out") }
            return try csv(images, classNames: classNames, chunk: chunk)
        }
        guard let labels else {
            throw ModelError.badInput("\(images): idx images need their labels: give --labels LABELS (an idx file of magic 2049)")
        }
        return try idx(images: images, labels: labels, chunk: chunk)
    }

    // MARK: idx

    /// A gzipped or plain file read through zlib (which reads plain files as they are).
    final class GzipFile: @unchecked Sendable {
        let path: String
        let handle: gzFile

        init(_ path: String) throws {
            self.path = path
            guard let h = gzopen(path, "rb") else { throw ModelError.unreadable(file: path, reason: "cannot be opened") }
            handle = h
            gzbuffer(h, 1 << 16)
        }

        deinit { gzclose(handle) }

        /// Reads exactly `n` bytes, or fewer at the end of the data.
        func read(_ n: Int) throws -> [UInt8] {
            var out = [UInt8](repeating: 0, count: n)
            var got = 0
            while got < n {
                let r = out.withUnsafeMutableBytes { gzread(handle, $0.baseAddress! + got, UInt32(min(n - got, 1 << 30))) }
                if r < 0 {
                    var code: Int32 = 0
                    let message = gzerror(handle, &code).map { String(cString: $0) } ?? "read error"
                    throw ModelError.unreadable(file: path, reason: "not readable gzip or idx data (\(message))")
                }
                if r == 0 { break }
                got += Int(r)
            }
            return Array(out.prefix(got))
        }

        /// The data's size: the file's for a plain file, the gzip trailer's ISIZE (size mod 2³²) for a gzipped one.
        static func dataSize(_ path: String) throws -> (size: UInt64, gzipped: Bool) {
            guard let fh = FileHandle(forReadingAtPath: path) else { throw ModelError.unreadable(file: path, reason: "cannot be opened") }
            defer { try? fh.close() }
            let head = fh.readData(ofLength: 2)
            let end = fh.seekToEndOfFile()
            if head.count == 2, head[head.startIndex] == 0x1f, head[head.startIndex + 1] == 0x8b {
                guard end >= 18 else { throw ModelError.unreadable(file: path, reason: "a truncated gzip file") }
                fh.seek(toFileOffset: end - 4)
                let t = [UInt8](fh.readData(ofLength: 4))
                return (UInt64(t[0]) | UInt64(t[1]) << 8 | UInt64(t[2]) << 16 | UInt64(t[3]) << 24, true)
            }
            return (end, false)
        }
    }

    /// The header of an idx file: magic (0x0000 08 D for unsigned bytes in D dimensions) and the sizes.
    static func idxHeader(_ file: GzipFile, dimensions: Int, what: String, magic: Int) throws -> [Int] {
        let head = try file.read(4 + 4 * dimensions)
        func fail(_ why: String) -> ModelError {
            .unreadable(file: file.path, reason: "not an idx \(what) file: \(why); expected magic \(magic) (0x0000080\(dimensions)) with \(dimensions) size\(dimensions == 1 ? "" : "s") as MNIST ships them")
        }
        guard head.count == 4 + 4 * dimensions else { throw fail("it is only \(head.count) bytes long") }
        let found = Int(head[0]) << 24 | Int(head[1]) << 16 | Int(head[2]) << 8 | Int(head[3])
        guard found == magic else { throw fail("its magic number is \(found)") }
        return (0..<dimensions).map { k in
            let o = 4 + 4 * k
            return Int(head[o]) << 24 | Int(head[o + 1]) << 16 | Int(head[o + 2]) << 8 | Int(head[o + 3])
        }
    }

    static func checkSize(_ path: String, header: Int, items: Int, itemBytes: Int, what: String) throws {
        let expected = UInt64(header + items * itemBytes)
        let (size, gzipped) = try GzipFile.dataSize(path)
        let matches = gzipped ? size == expected & 0xFFFF_FFFF : size == expected
        guard matches else {
            let actual = gzipped ? "its data is \(size) bytes (gzip trailer)" : "it is \(size) bytes"
            throw ModelError.unreadable(file: path, reason: "wrong size: its header says \(items) \(what) (\(expected) bytes), but \(actual); the file is truncated or not what its header says")
        }
    }

    static func idx(images: String, labels: String, chunk: Int) throws -> LabelledImages {
        let imageFile = try GzipFile(images), labelFile = try GzipFile(labels)
        let dims = try idxHeader(imageFile, dimensions: 3, what: "images", magic: 2051)
        let (n, rows, cols) = (dims[0], dims[1], dims[2])
        guard rows > 0, cols > 0 else { throw ModelError.unreadable(file: images, reason: "images of \(rows)×\(cols) pixels; each needs at least one") }
        let count = try idxHeader(labelFile, dimensions: 1, what: "labels", magic: 2049)[0]
        try checkSize(images, header: 16, items: n, itemBytes: rows * cols, what: "images of \(rows)×\(cols)")
        try checkSize(labels, header: 8, items: count, itemBytes: 1, what: "labels")
        guard count == n else {
            throw ModelError.badInput("\(labels) holds \(count) labels but \(images) holds \(n) images; give the labels that belong to these images")
        }
        var done = 0
        return LabelledImages(count: n, description: "\(n) images of \(rows)×\(cols) (idx)") {
            let take = min(chunk, n - done)
            guard take > 0 else { return [] }
            let pixels = try imageFile.read(take * rows * cols), marks = try labelFile.read(take)
            guard pixels.count == take * rows * cols else {
                throw ModelError.unreadable(file: images, reason: "ends after \(done + pixels.count / (rows * cols)) of the \(n) images its header announces")
            }
            guard marks.count == take else {
                throw ModelError.unreadable(file: labels, reason: "ends after \(done + marks.count) of the \(n) labels its header announces")
            }
            let size = rows * cols
            let out = (0..<take).map { k -> (Raw, Int) in
                (.pixels(pixels[(k * size)..<((k + 1) * size)].map(Float.init), height: rows, width: cols), Int(marks[k]))
            }
            done += take
            return out
        }
    }

    // MARK: folders and CSV

    static func label(_ text: String, classNames: [String]?) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let n = Int(t), n >= 0 { return n }
        return classNames?.firstIndex(of: t)
    }

    static func listed(_ items: [(String, Int)], description: String, chunk: Int) -> LabelledImages {
        var done = 0
        return LabelledImages(count: items.count, description: description) {
            let take = min(chunk, items.count - done)
            guard take > 0 else { return [] }
            defer { done += take }
            return items[done..<(done + take)].map { (.file($0.0), $0.1) }
        }
    }

    static func folder(_ root: String, classNames: [String]?, chunk: Int) throws -> LabelledImages {
        let fm = FileManager.default
        let classes = try fm.contentsOfDirectory(atPath: root).filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: (root as NSString).appendingPathComponent(name), isDirectory: &d) && d.boolValue
        }.sorted()
        guard !classes.isEmpty else {
            throw ModelError.badInput("\(root) has no class sub-folders; an ImageFolder data set holds one folder per class (0/, 1/, … or class names) with the images in them")
        }
        // Folder names as labels: all numbers, or all class names of the model, else their sorted position.
        let numbered = classes.allSatisfy { Int($0) != nil && Int($0)! >= 0 }
        let named = classNames.map { names in classes.allSatisfy { names.contains($0) } } ?? false
        var items: [(String, Int)] = []
        for (position, name) in classes.enumerated() {
            let dir = (root as NSString).appendingPathComponent(name)
            let label = numbered ? Int(name)! : named ? classNames!.firstIndex(of: name)! : position
            let files = try fm.contentsOfDirectory(atPath: dir).filter {
                InputList.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) && $0.lowercased().hasSuffix(".npy") == false
            }.sorted()
            items += files.map { ((dir as NSString).appendingPathComponent($0), label) }
        }
        guard !items.isEmpty else { throw ModelError.badInput("\(root): its class folders hold no PNG or JPEG images") }
        return listed(items, description: "\(items.count) images in \(classes.count) class folders", chunk: chunk)
    }

    static func csv(_ path: String, classNames: [String]?, chunk: Int) throws -> LabelledImages {
        let text = String(decoding: try InputFile.read(path), as: UTF8.self)
        let base = (path as NSString).deletingLastPathComponent
        var items: [(String, Int)] = []
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            guard let comma = line.lastIndex(of: ",") else {
                throw ModelError.badInput("\(path):\(n + 1): expected path,label, got '\(line)'")
            }
            let file = String(line[..<comma]).trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard let label = label(String(line[line.index(after: comma)...]), classNames: classNames) else {
                if n == 0 && items.isEmpty { continue }   // a header line
                throw ModelError.badInput("\(path):\(n + 1): '\(line[line.index(after: comma)...])' is not a label; give a class index (0, 1, …)\(classNames == nil ? "" : " or one of the model's class names")")
            }
            items.append((file.hasPrefix("/") ? file : (base as NSString).appendingPathComponent(file), label))
        }
        guard !items.isEmpty else { throw ModelError.badInput("\(path) lists no images; give lines path,label") }
        return listed(items, description: "\(items.count) images listed in \(path)", chunk: chunk)
    }
}

/// The accuracy at one shift.
public struct ShiftAccuracy: Sendable, Codable, Equatable {
    public var shift: Int
    public var accuracy: Double
    public var correct: Int
    public var total: Int

    public init(shift: Int, correct: Int, total: Int) {
        self.shift = shift; self.correct = correct; self.total = total
        accuracy = total > 0 ? Double(correct) / Double(total) : 0
    }
}

/// `featmap shift MODEL --dataset …`: the model's accuracy at each shift, on all cores.
public enum DatasetShift {
    /// Runs every sample at every shift. Images that already have the network's input size go in as they
    /// are unless `refit`; then the fitted planes are shifted (see `Tensor.shifted`) and normalised.
    /// `progress(done, total)` is called from the reading thread after each chunk. When `shifts` lacks 0,
    /// the unshifted accuracy is measured too and returned as `unshifted`.
    public static func accuracy(model: Model, data: LabelledImages, shifts: ShiftRange, axis: ShiftAxis, fill: ShiftFill,
                                refit: Bool, progress: (Int, Int) -> Void = { _, _ in }) throws
        -> (accuracy: [ShiftAccuracy], unshifted: ShiftAccuracy) {
        let p = try model.preprocessing.validated()
        try shifts.check(axis: axis, height: p.height, width: p.width)
        try checkClassifier(model)
        let all = shifts.shifts.contains(0) ? shifts.shifts : shifts.shifts + [0]
        let plan = model.graph.fusionPlan()
        let tally = Tally(all.count)
        var total = 0
        while true {
            let chunk = try data.nextChunk()
            if chunk.isEmpty { break }
            let workers = max(1, min(Parallel.workers, chunk.count))
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var local = [Int](repeating: 0, count: all.count)
                Parallel.serially {
                    for k in (chunk.count * w / workers)..<(chunk.count * (w + 1) / workers) {
                        do {
                            let planes = try fitted(chunk[k].0, preprocessing: p, refit: refit)
                            for (s, d) in all.enumerated() {
                                let moved = d == 0 ? planes : planes.shifted(by: axis.offset(d), fill: fill)
                                let result = model.graph.forwardFused(try p.normalised(moved), plan: plan)
                                if let stop = result.stoppedBy { throw stop }
                                if let out = result.output, let best = TopClass.of(out), best.index == chunk[k].1 { local[s] += 1 }
                            }
                        } catch {
                            tally.fail(error)
                            return
                        }
                    }
                }
                tally.add(local)
            }
            if let failure = tally.failure { throw failure }
            total += chunk.count
            progress(total, data.count)
        }
        let results = all.indices.map { ShiftAccuracy(shift: all[$0], correct: tally.correct[$0], total: total) }
        let unshifted = results[all.firstIndex(of: 0)!]
        return (Array(results.prefix(shifts.shifts.count)), unshifted)
    }

    /// Correct counts per shift and the first error, added to from the workers.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var correct: [Int]
        private(set) var failure: Error?
        init(_ n: Int) { correct = Array(repeating: 0, count: n) }
        func add(_ counts: [Int]) { lock.lock(); for i in counts.indices { correct[i] += counts[i] }; lock.unlock() }
        func fail(_ error: Error) { lock.lock(); if failure == nil { failure = error }; lock.unlock() }
    }

    /// The fitted planes (0…255) of one raw sample.
    static func fitted(_ raw: LabelledImages.Raw, preprocessing p: Preprocessing, refit: Bool) throws -> Tensor {
        switch raw {
        case .pixels(let v, let h, let w):
            return try p.fitted(Image(width: w, height: h, channels: 1, bitDepth: 8, samples: v), refit: refit)
        case .file(let path):
            do {
                return try p.fitted(try ImageDecoder.decode(path: path), refit: refit)
            } catch let e as ModelError {
                throw e
            } catch {
                throw ModelError.unreadable(file: path, reason: "\(error)")
            }
        }
    }

    /// Refuses a model whose output is not a vector of class scores: accuracy needs a classifier.
    public static func checkClassifier(_ model: Model) throws {
        let p = try model.preprocessing.validated()
        let result = model.graph.forwardFused(try p.normalised(Tensor(shape: [p.channels, p.height, p.width], repeating: 0)))
        if let stop = result.stoppedBy {
            throw ModelError.badInput("\(model.name): the pass stops before the output (\(stop)), so there is no class to score; --dataset needs a classifier")
        }
        guard let out = result.output, TopClass.of(out) != nil else {
            throw ModelError.badInput("\(model.name): the output \(result.output?.shape ?? []) is not a vector of class scores, so accuracy is undefined; --dataset needs a classifier (shift one input without --dataset to see the layers' errors)")
        }
    }
}
