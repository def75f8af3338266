import ArgumentParser
import FeatMapKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Standard streams, signals and the shared way every image command runs a batch.
enum Terminal {
    static var coreCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data(("featmap: " + message + "\n").utf8))
    }

    static func write(_ text: String, toStandardError: Bool = false) {
        let data = Data(text.utf8)
        (toStandardError ? FileHandle.standardError : FileHandle.standardOutput).write(data)
    }

    /// The filter a kernel argument names, or one error line and the exit status: a name nobody
    /// has is a usage error (64); a kernel file that cannot be read is a runtime one (1).
    static func resolveKernel(_ spec: String) throws -> ClassicFilter {
        do {
            return try KernelLibrary.resolve(spec)
        } catch {
            printError(error.userMessage)
            throw FileManager.default.fileExists(atPath: spec) ? ExitCode.failure : ExitCode(64)
        }
    }

    /// Ctrl-C and kill stop at once: no new output is started, the temporary files of outputs
    /// still being written are removed, a message says so. The signals are blocked in every
    /// thread and taken by one waiting thread, which may lock (a signal handler could not).
    /// (SIGKILL cannot be caught: its temporary files stay, hidden and named `.NAME.featmap-*`,
    /// never under an output's name.)
    static func installSignalHandlers() {
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            // A parent may have left them ignored; an ignored signal never reaches sigwait.
            signal(sig, SIG_DFL)
            sigaddset(&set, sig)
        }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let blocked = set
        let waiter = Thread {
            var received: Int32 = 0
            var wanted = blocked
            sigwait(&wanted, &received)
            OutputFile.stopAndRemovePendingTemporaryFiles()
            let message = received == SIGINT ? "\nfeatmap: interrupted; no partial output left behind\n"
                                             : "featmap: stopped by a signal; no partial output left behind\n"
            message.withCString { p in _ = Glibc.write(2, p, strlen(p)) }
            _exit(128 + received)
        }
        waiter.start()
    }

    /// Runs `job` over `inputs` with the options' workers and reporting, prints one line per
    /// input (JSON or text), a progress bar on a terminal, and a summary; exits 1 if any failed.
    /// Text lines come in input order; JSON lines as each input finishes, unless `ordered`.
    static func runBatch(inputs: [String], options: RunOptions, textToStandardError: Bool, ordered: Bool = false,
                         job: @escaping @Sendable (Int) -> BatchReport) throws {
        try runBatch(inputs: inputs, options: options, textToStandardError: textToStandardError, ordered: ordered,
                     groupSize: 1) { [job($0[0])] }
    }

    /// The same, handing `job` up to `groupSize` consecutive positions at once (in the whole list, as
    /// above); it returns one report per position, in order.
    static func runBatch(inputs: [String], options: RunOptions, textToStandardError: Bool, ordered: Bool = false,
                         groupSize: Int, job: @escaping @Sendable ([Int]) -> [BatchReport]) throws {
        installSignalHandlers()
        LargeBuffer.keepFreedMemory()
        // --shard: only this part's positions of the whole list run; `job` still gets positions
        // in the whole list, so output names are those of an unsharded run.
        let shard = options.selectedShard
        let positions = shard.positions(total: inputs.count)
        if positions.isEmpty && !inputs.isEmpty {
            if !options.quiet { write("shard \(shard): no inputs (the list has \(inputs.count)); nothing to do\n", toStandardError: true) }
            return
        }
        let runner = BatchRunner(jobs: options.workerCount, ordered: ordered || !options.json)
        let showProgress = !options.quiet && !options.json && positions.count > 1 && isTerminal(2)
        let progress = Progress(total: positions.count, enabled: showProgress)
        let json = options.json, quiet = options.quiet
        runner.run(count: positions.count, groupSize: groupSize, job: { job(Array(positions[$0])) }) { report, done in
            progress.clear()
            if let error = report.error {
                // What a failed input still produced (a table up to an unsupported layer) comes first.
                if json {
                    write(report.jsonLine + "\n", toStandardError: textToStandardError)
                } else if !quiet, let text = report.text {
                    write(text + "\n", toStandardError: textToStandardError)
                }
                printError(error)
            } else if json {
                write(report.jsonLine + "\n", toStandardError: textToStandardError)
            } else if !quiet {
                if let text = report.text {
                    write(text + "\n", toStandardError: textToStandardError)
                } else if report.skipped {
                    write("\(report.input): skipped, \(report.outputs.joined(separator: ", ")) exists (--no-clobber)\n", toStandardError: true)
                } else {
                    let size = report.width.map { "\($0)×\(report.height ?? 0)" } ?? ""
                    let outs = report.outputs.map { $0 == "-" ? "standard output" : $0 }.joined(separator: ", ")
                    write("\(report.input) → \(outs) (\(size), \(String(format: "%.0f", report.milliseconds)) ms)\n",
                          toStandardError: textToStandardError)
                }
            }
            progress.update(done: done)
        }
        progress.clear()
        if positions.count > 1 {
            if !quiet || runner.failed > 0 {
                var summary = "\(runner.succeeded) succeeded, \(runner.failed) failed"
                if runner.skipped > 0 { summary += ", \(runner.skipped) skipped" }
                write(summary + "\n", toStandardError: true)
            }
        }
        if runner.failed > 0 { throw ExitCode.failure }
    }
}

/// A one-line progress bar on standard error: count, rate, time left.
final class Progress: @unchecked Sendable {
    let total: Int
    let enabled: Bool
    let start = Date()
    private var shown = false

    init(total: Int, enabled: Bool) { self.total = total; self.enabled = enabled }

    func update(done: Int) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let left = rate > 0 ? Double(total - done) / rate : 0
        let width = 30, filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        Terminal.write(String(format: "\r%@ %d/%d  %.1f/s  %.0fs left ", bar, done, total, rate, left), toStandardError: true)
        shown = true
    }

    func clear() {
        guard enabled, shown else { return }
        Terminal.write("\r\u{1B}[K", toStandardError: true)
        shown = false
    }
}

extension Error {
    /// The one line a user sees for this error.
    var userMessage: String {
        String(describing: self)
    }
}
