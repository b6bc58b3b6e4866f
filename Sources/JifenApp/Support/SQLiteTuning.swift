import NIOConcurrencyHelpers
import VaporCSQLite

/// The settings SQLite keeps per connection, given to every connection this process opens: the
/// pool's (SQLiteNIO opens them and takes no settings), the read connections, a backup's. They are
/// SQLite's automatic extension, which SQLite runs on each connection as it opens.
///
/// - `cache_size`: 32 MiB of pages per connection (SQLite's default is 2 MiB). A city's round
///   writes some 20 MiB of rows and indexes in one transaction; with the default, SQLite writes
///   changed pages to the log before the commit and reads them back again.
/// - `mmap_size`: the file is read through memory mapped from it, up to SQLite's limit of just
///   under 2 GiB, rather than copied page by page into each connection's cache; writes still go
///   through the log. A read error of the disk then stops the process (a signal) instead of
///   failing one statement.
enum SQLiteTuning {
    static let cacheKiB = 32 * 1024
    static let mapBytes = 0x7fff_0000

    /// The statements run on each new connection.
    static let statements = "PRAGMA cache_size = -\(cacheKiB); PRAGMA mmap_size = \(mapBytes);"

    private static let installed = NIOLockedValueBox(false)

    /// Registers the settings for every connection opened from now on (once a process).
    static func install() {
        installed.withLockedValue { done in
            guard !done else { return }
            let entry: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, UnsafeRawPointer?) -> Int32 = { db, _, _ in
                // A setting SQLite refuses leaves the connection as SQLite opens it: still correct.
                _ = sqlite_nio_sqlite3_exec(db, SQLiteTuning.statements, nil, nil, nil)
                return SQLITE_OK
            }
            // SQLite declares the entry point without its parameters and calls it with them.
            done = sqlite_nio_sqlite3_auto_extension(unsafeBitCast(entry, to: (@convention(c) () -> Void).self)) == SQLITE_OK
        }
    }
}
