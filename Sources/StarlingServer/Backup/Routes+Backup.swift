import NIOHTTP1
import StarlingDatabase
import StarlingRuntime
import StarlingTypes

extension Routes {
    /// `GET /v1/database/:name/backup` (owner only): a consistent online backup of the database
    /// as one `tar` archive (see ``BackupArchive``), while it keeps serving. The database's
    /// writer is held only to capture a snapshot; the snapshot is written in the background, and
    /// the files are streamed from disk once it is published.
    static func backup(_ name: String, _ r: HTTPRequest, _ ctx: ServerContext) async throws(HTTPError) -> HTTPResponse {
        let host = try ctx.database(name)
        let (caller, _) = try ctx.caller(r)
        guard caller == host.info.owner else { throw .notOwner("back it up", name) }
        let prepared: Result<BackupPlan, DatabaseError> = await host.perform { db in
            Result { () throws(DatabaseError) in try db.database.prepareBackup() }
        }
        let plan: BackupPlan
        switch prepared {
        case .success(let p): plan = p
        case .failure(let e) where e.message.contains("in-memory"):
            throw HTTPError(400, "database `\(name)` is kept in memory (the server runs with --in-memory); there is nothing to back up")
        case .failure(let e): throw HTTPError(500, "backup of `\(name)` failed: \(e.message)")
        }
        let parts = await DatabaseRegistry.offload { Result { () throws(HTTPError) in try BackupArchive.parts(plan, database: name) } }
        ctx.registry.noteBackup(name, snapshotOffset: plan.snapshotOffset)
        return HTTPResponse(status: .ok, contentType: "application/x-tar", parts: try parts.get())
    }

    /// `POST /v1/database/:name/restore[?replace=true]`, body = a backup archive: creates the
    /// database `name` from it, owned by the caller (with a new database identity). An existing
    /// database of that name is refused (409) unless `replace=true` and the caller owns it.
    static func restore(_ name: String, _ r: HTTPRequest, _ ctx: ServerContext) async throws(HTTPError) -> HTTPResponse {
        let (caller, minted) = try ctx.caller(r)
        let replace = r.query["replace"] == "true" || r.query["replace"] == "1"
        let info = try await ctx.registry.restore(name, archive: r.body, caller: caller, replace: replace)
        var out = infoJSON(info).objectMembers! + [(key: "restored", value: true)]
        if let minted { out.append((key: "token", value: .string(minted))) }
        return .json(.object(out))
    }
}
