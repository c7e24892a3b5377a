import ArgumentParser
import Foundation
import Warehouse

struct Vacuum: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Give the space of deleted runs back to the filesystem (SQLite VACUUM).",
        discussion: """
            `runs delete` leaves the space of the runs it deletes inside the warehouse file, where later \
            ingests reuse it. vacuum rewrites the file without it. It holds the write lock throughout \
            (ingests wait; queries go on), needs free disk space of about twice the warehouse's used size \
            while it runs (a temporary copy, then the WAL), and takes time in proportion to that size.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var write: WriteOptions

    func run() throws {
        write.apply(command: "vacuum")
        let path = database.resolvedPath
        let line = write.statusLine()
        let (before, after) = try naming(warehouse: path) { () throws -> (WarehouseVacuum.Space, WarehouseVacuum.Space) in
            let db = try WarehouseStore.openExistingForWriting(path)
            let used = try WarehouseVacuum.space(of: db)
            let size = formatBytes(used.fileBytes - used.freeBytes)
            return try WarehouseVacuum.vacuum(db, progress: line.enabled ? { ns in
                line.draw("vacuum: rewriting \(size) of runs, \(formatDuration(seconds: Double(ns) / 1e9)) so far")
            } : nil)
        }
        line.clear()
        print(
            "vacuumed \(path): \(formatBytes(before.fileBytes)) -> \(formatBytes(after.fileBytes)) "
                + "(\(formatBytes(max(0, before.fileBytes - after.fileBytes))) given back)")
    }
}
